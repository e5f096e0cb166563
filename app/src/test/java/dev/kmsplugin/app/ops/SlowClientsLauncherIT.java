package dev.kmsplugin.app.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The security review's liveness attack against the packaged launcher: an unprivileged local user holds 256 slow
 * connections (a request line, then a header every 500 ms) to each of the health and metrics ports, and root's
 * probes and scrapes must still answer 200. Runs as root (as CI does) to create that user and to start the clients
 * as it with {@code setpriv}; anywhere else it fails saying what it needs.
 */
class SlowClientsLauncherIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("kms.distribution", "target/kms-plugin"));
    private static final Path LAUNCHER = DISTRIBUTION.resolve("bin/kms-plugin");
    private static final String USER = "kms-slow-it";
    private static final int SLOW = 256;
    private static final int PROBES = 20;

    private Path dir;
    private Path log;
    private Process plugin;
    private Process attacker;
    private int healthPort;
    private int metricsPort;

    @BeforeEach
    void needsRootSetprivAndUseradd() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            fail("this test creates the local user " + USER + " and runs clients as it: run it as root (CI does),"
                    + " with setpriv (util-linux) and useradd (passwd) installed");
        }
        for (String tool : List.of("/usr/bin/setpriv", "/usr/sbin/useradd")) {
            if (!Files.isExecutable(Path.of(tool))) {
                fail("this test needs " + tool + ": install util-linux (setpriv) and passwd (useradd)");
            }
        }
        if (exec("id", USER) != 0) {
            assertEquals(0, exec("/usr/sbin/useradd", "--system", "--no-create-home", USER), "useradd " + USER);
        }
        dir = Files.createTempDirectory(Path.of("/tmp"), "slow-it-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        log = dir.resolve("plugin.log");
        Process init = new ProcessBuilder(LAUNCHER.toString(), "sim", "init", "--sim-dir=" + dir)
                .redirectErrorStream(true).redirectOutput(dir.resolve("init.out").toFile()).start();
        assertTrue(init.waitFor(60, TimeUnit.SECONDS), "sim init did not finish within 60 s");
        assertEquals(0, init.exitValue(), Files.readString(dir.resolve("init.out")));
    }

    @AfterEach
    void clean() throws Exception {
        for (Process process : new Process[] {attacker, plugin}) {
            if (process != null && process.isAlive()) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> path.toFile().delete());
        }
    }

    private static int exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "did not finish within 30 s: " + List.of(command));
        return process.exitValue();
    }

    private void startPlugin() throws Exception {
        ListeningPorts.Started started = ListeningPorts.startReady(List.of(LAUNCHER.toString(), "--backend=hsm-sim",
                "--sim-dir=" + dir, "--listen-addr=unix://" + dir.resolve("kms.sock"), "--healthz-port=0",
                "--metrics-addr=127.0.0.1:0"), dir, log);
        plugin = started.process();
        healthPort = started.ports().health();
        metricsPort = started.ports().metrics();
    }

    /** Starts the slow clients as the unprivileged user and waits until it says every connection is open. */
    private void startAttacker() throws Exception {
        Path classes = dir.resolve("attacker");
        Path target = classes.resolve("dev/kmsplugin/app/ops/SlowClients.class");
        Files.createDirectories(target.getParent());
        try (InputStream in = SlowClients.class.getResourceAsStream("SlowClients.class")) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (var paths = Files.walk(classes)) {
            for (Path path : paths.toList()) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                        Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        attacker = new ProcessBuilder("/usr/bin/setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups",
                java, "-Xmx64m", "-cp", classes.toString(), SlowClients.class.getName(), String.valueOf(SLOW),
                String.valueOf(healthPort), String.valueOf(metricsPort))
                .redirectError(dir.resolve("attacker.err").toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(attacker.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the attacker was stopped
            }
        }, "slow-clients-output");
        reader.setDaemon(true);
        reader.start();
        String first = lines.poll(60, TimeUnit.SECONDS);
        System.out.println("slow clients: " + first);
        assertTrue(first != null && first.startsWith("open " + 2 * SLOW + " "), "the slow clients did not open their connections: "
                + Files.readString(dir.resolve("attacker.err")));
        // Let the dribbling start: the first header lines arrive 500 ms after the request lines.
        String tick = lines.poll(30, TimeUnit.SECONDS);
        assertTrue(tick != null && tick.startsWith("tick "), "the slow clients stopped: " + tick + " "
                + Files.readString(dir.resolve("attacker.err")));
    }

    record Response(int status, String body, long nanos) {
    }

    /** One GET with a 3 s connect and read timeout, so the test cannot hang; status 0 says the probe failed. */
    private static Response get(int port, String path) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 3_000);
            socket.setSoTimeout(3_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            Matcher status = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ").matcher(text);
            return new Response(status.find() ? Integer.parseInt(status.group(1)) : 0, text,
                    System.nanoTime() - start);
        } catch (IOException e) {
            return new Response(0, e.toString(), System.nanoTime() - start);
        }
    }

    @Test
    void probes_and_scrapes_answer_while_a_local_user_holds_256_slow_connections_to_each_port() throws Exception {
        startPlugin();
        startAttacker();
        List<Long> livez = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < PROBES; i++) {
            Response probe = get(healthPort, "/livez");
            livez.add(probe.nanos());
            if (probe.status() != 200) {
                failures.add("/livez #" + i + ": " + probe.body().lines().findFirst().orElse(""));
            }
            Response scrape = get(metricsPort, "/metrics");
            if (scrape.status() != 200) {
                failures.add("/metrics #" + i + ": " + scrape.body().lines().findFirst().orElse(""));
            }
        }
        assertTrue(attacker.isAlive(), "the slow clients stopped before the probes ended");
        Collections.sort(livez);
        System.out.printf("/livez with %d slow connections from user %s on each port: median %.1f ms, max %.1f ms"
                + " over %d probes%n", SLOW, USER, livez.get(PROBES / 2) / 1e6, livez.get(PROBES - 1) / 1e6, PROBES);
        assertEquals(List.of(), failures, "probes refused or timed out under slow clients");
    }
}
