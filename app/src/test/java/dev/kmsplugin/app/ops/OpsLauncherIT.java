package dev.kmsplugin.app.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operations surface as operators meet it: the packaged launcher on the module path with the SoftHSM simulator
 * and the gRPC transport, probed over HTTP, scraped, driven with {@code kms-plugin client}, and stopped with SIGTERM.
 * Directories live under /tmp because unix socket paths are limited to 107 bytes.
 */
class OpsLauncherIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("kms.distribution", "target/kms-plugin"));
    private static final Path LAUNCHER = DISTRIBUTION.resolve("bin/kms-plugin");
    private static final byte[] PLAINTEXT = "ops-it-secret-data-key-0123456789".getBytes(StandardCharsets.US_ASCII);

    private Path dir;
    private Path log;
    private Process plugin;
    private int healthPort;
    private int metricsPort;

    record Run(int exitCode, String out, String err) {
    }

    @BeforeEach
    void initialiseToken() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "ops-it-");
        log = dir.resolve("plugin.log");
        Run init = run(new byte[0], "sim", "init", "--sim-dir=" + dir);
        assertEquals(0, init.exitCode(), init.err());
    }

    @AfterEach
    void clean() throws Exception {
        if (plugin != null && plugin.isAlive()) {
            plugin.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> path.toFile().delete());
        }
    }

    private String socket() {
        return "unix://" + dir.resolve("kms.sock");
    }

    private static List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        return command;
    }

    private static Run run(byte[] stdin, String... args) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command(args)).start();
        process.getOutputStream().write(stdin);
        process.getOutputStream().close();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "did not exit within 60 s: " + List.of(args));
        return new Run(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Starts the plugin on free ports with JSON logs at debug verbosity and waits until it is ready. */
    private void startPlugin() throws Exception {
        ListeningPorts.Started started = ListeningPorts.startReady(command("--backend=hsm-sim", "--sim-dir=" + dir,
                "--listen-addr=" + socket(), "--healthz-port=0", "--metrics-addr=127.0.0.1:0", "--log-format-json",
                "-v=4"), dir, log);
        plugin = started.process();
        healthPort = started.ports().health();
        metricsPort = started.ports().metrics();
    }

    private List<Scrape.Sample> scrape() throws Exception {
        Scrape.Response response = Scrape.get(metricsPort, "/metrics");
        assertEquals(200, response.status());
        return Scrape.samples(response.body());
    }

    private static double requests(List<Scrape.Sample> samples, String method) {
        return Scrape.value(samples, "kms_request_duration_seconds_count",
                Map.of("api", "v2", "method", method, "code", "OK"));
    }

    @Test
    void probes_metrics_and_json_logs_follow_real_traffic_and_sigterm_exits_0() throws Exception {
        startPlugin();
        for (String path : List.of("/healthz", "/livez", "/readyz")) {
            Scrape.Response response = Scrape.get(healthPort, path);
            assertEquals(200, response.status(), path + ": " + response.body());
            assertEquals("ok\n", response.body());
        }
        List<Scrape.Sample> before = scrape();

        String ciphertext = null;
        for (int i = 0; i < 3; i++) {
            Run encrypt = run(PLAINTEXT, "client", "encrypt", "--listen-addr=" + socket());
            assertEquals(0, encrypt.exitCode(), encrypt.err());
            ciphertext = encrypt.out().trim();
        }
        Run decrypt = run(ciphertext.getBytes(StandardCharsets.US_ASCII), "client", "decrypt",
                "--listen-addr=" + socket());
        assertEquals(0, decrypt.exitCode(), decrypt.err());
        assertArrayEquals(PLAINTEXT, decrypt.out().getBytes(StandardCharsets.ISO_8859_1));
        Run status = run(new byte[0], "client", "status", "--listen-addr=" + socket());
        assertEquals(0, status.exitCode(), status.err());
        Matcher keyId = Pattern.compile("key_id: (\\S+)").matcher(status.out());
        assertTrue(keyId.find(), status.out());

        List<Scrape.Sample> after = scrape();
        assertEquals(requests(before, "Encrypt") + 3, requests(after, "Encrypt"));
        assertEquals(requests(before, "Decrypt") + 1, requests(after, "Decrypt"));
        assertTrue(Scrape.value(after, "kms_backend_operation_duration_seconds_count",
                Map.of("operation", "wrap", "outcome", "ok")) >= 3);
        assertEquals(1, Scrape.value(after, "kms_current_key", Map.of("key_id", keyId.group(1))));
        assertEquals(1, Scrape.value(after, "kms_backend_health", Map.of("state", "healthy")));
        assertTrue(Scrape.value(after, "jvm_threads_live_threads", Map.of()) > 0);

        plugin.destroy(); // SIGTERM
        assertTrue(plugin.waitFor(30, TimeUnit.SECONDS), "plugin did not stop within 30 s of SIGTERM");
        assertEquals(0, plugin.exitValue(), Files.readString(log));
        assertFalse(Files.exists(dir.resolve("kms.sock")), "socket file left behind");
        assertThrows(ConnectException.class, () -> Scrape.get(healthPort, "/healthz"));
        assertThrows(ConnectException.class, () -> Scrape.get(metricsPort, "/metrics"));

        String text = Files.readString(log);
        List<Map<String, String>> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            try {
                lines.add(Json.object(line));
            } catch (RuntimeException e) {
                throw new AssertionError("log line is not one JSON object: " + line, e);
            }
        }
        assertTrue(lines.stream().anyMatch(l -> "v2/Encrypt".equals(l.get("method")) && "OK".equals(l.get("code"))
                && l.get("uid") != null && !l.get("uid").isEmpty()), "no request log for v2/Encrypt:\n" + text);
        assertTrue(lines.stream().anyMatch(l -> "v2/Decrypt".equals(l.get("method"))), text);
        assertTrue(lines.stream().allMatch(l -> l.keySet().containsAll(List.of("time", "level", "logger", "message"))));
        assertTrue(lines.get(lines.size() - 1).get("message").equals("stopped"), text);
        for (String form : List.of(new String(PLAINTEXT, StandardCharsets.US_ASCII),
                Base64.getEncoder().encodeToString(PLAINTEXT), HexFormat.of().formatHex(PLAINTEXT))) {
            assertFalse(text.contains(form), "plaintext in the log as " + form);
        }
    }

    @Test
    void sigterm_under_load_drains_and_exits_0() throws Exception {
        startPlugin();
        List<Process> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Process client = new ProcessBuilder(command("client", "encrypt", "--listen-addr=" + socket()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            client.getOutputStream().write(PLAINTEXT);
            client.getOutputStream().close();
            clients.add(client);
        }
        Thread.sleep(300); // the clients' JVMs start and connect while the plugin receives SIGTERM
        plugin.destroy();
        assertTrue(plugin.waitFor(30, TimeUnit.SECONDS), "plugin did not stop within 30 s of SIGTERM");
        assertEquals(0, plugin.exitValue(), Files.readString(log));
        for (Process client : clients) {
            assertTrue(client.waitFor(60, TimeUnit.SECONDS), "a client hung after the plugin stopped");
            // 0 when the call made it in before the drain, 3 when the socket was already gone: never a hang
            assertTrue(List.of(0, 1, 3).contains(client.exitValue()), "client exit " + client.exitValue());
        }
        assertFalse(Files.exists(dir.resolve("kms.sock")), "socket file left behind");
    }

    @Test
    void a_health_port_clash_fails_start_up_with_one_line_exit_2_and_no_socket() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Run run = run(new byte[0], "--backend=hsm-sim", "--sim-dir=" + dir, "--listen-addr=" + socket(),
                    "--healthz-port=" + taken.getLocalPort(), "--metrics-addr=127.0.0.1:0");
            assertEquals(2, run.exitCode(), run.err());
            List<String> errors = run.err().lines().filter(l -> l.startsWith("kms-plugin:")).toList();
            assertEquals(List.of("kms-plugin: health endpoint cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use; another process holds the port, or choose another with"
                    + " --healthz-addr/--healthz-port"), errors, run.err());
        }
        assertFalse(Files.exists(dir.resolve("kms.sock")), "socket file left behind");
    }

    @Test
    void endpoints_on_every_interface_are_warned_about_naming_the_flag() throws Exception {
        plugin = new ProcessBuilder(command("--backend=hsm-sim", "--sim-dir=" + dir, "--listen-addr=" + socket(),
                "--healthz-addr=0.0.0.0", "--healthz-port=0", "--metrics-addr=:0"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Pattern warned = Pattern.compile("(?m)^.* WARN .*metrics endpoint listens on .*which is not loopback \\(every"
                + " interface, IPv6 included\\).* set --metrics-addr to 127\\.0\\.0\\.1$");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!warned.matcher(Files.readString(log)).find() && plugin.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        String output = Files.readString(log);
        assertTrue(warned.matcher(output).find(), output);
        assertTrue(output.lines().anyMatch(line -> line.contains(" WARN ") && line.contains("health endpoint listens"
                + " on 0.0.0.0:") && line.contains("--healthz-addr/--healthz-port")), output);
        assertFalse(output.lines().anyMatch(line -> line.contains("not loopback") && line.contains("127.0.0.1:")),
                output);
    }

    @Test
    void version_names_the_build_with_a_git_commit() throws Exception {
        Run run = run(new byte[0], "--version");
        assertEquals(0, run.exitCode(), run.err());
        Map<String, String> version = Json.object(run.out().trim());
        assertEquals("kms-plugin", version.get("Name"));
        assertTrue(version.get("GitCommit").matches("[0-9a-f]{7,40}|unknown"), version.toString());
        assertTrue(version.get("BuildDate").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), version.toString());
        assertFalse(version.get("BuildVersion").isEmpty());
    }
}
