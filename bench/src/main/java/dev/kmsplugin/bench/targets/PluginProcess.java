package dev.kmsplugin.bench.targets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The real plugin, started from the packaged distribution as an operator starts it: by default with the SoftHSM
 * simulator backend and a fresh simulator directory, or with the backend flags given. Its output goes to a log file
 * beside the socket.
 */
public final class PluginProcess extends ServerProcess {

    private final int metricsPort;

    private PluginProcess(Process process, Path socket, Path log, int metricsPort) {
        super(process, socket, log, Duration.ofSeconds(15));
        this.metricsPort = metricsPort;
    }

    public int metricsPort() {
        return metricsPort;
    }

    // Free loopback ports for the health and metrics endpoints, so a plugin already running with the defaults
    // (8787, 8095) on this machine does not stop the benchmark.
    private static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /**
     * @param javaOptions extra JVM options (KMS_PLUGIN_JAVA_OPTS), e.g. a flight recording; empty for none
     */
    public static PluginProcess start(Path launcher, Path workDir, String javaOptions) throws IOException {
        return start(launcher, workDir, javaOptions, List.of("--backend=hsm-sim",
                "--sim-dir=" + workDir.resolve("plugin-sim")));
    }

    /**
     * @param backendArguments the launcher's backend flags, e.g. {@code --backend=keyvault --key-name=kek ...}
     */
    public static PluginProcess start(Path launcher, Path workDir, String javaOptions, List<String> backendArguments)
            throws IOException {
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing: build it with ./mvnw -q -DskipTests package");
        }
        Path socket = workDir.resolve("kms.sock");
        Path log = workDir.resolve("plugin.log");
        Files.createDirectories(workDir);
        Files.deleteIfExists(socket);
        int metricsPort = freePort();
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(backendArguments);
        command.addAll(List.of("--listen-addr=unix://" + socket, "--metrics-addr=127.0.0.1:" + metricsPort,
                "--healthz-port=" + freePort()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        launcherEnvironment(builder, javaOptions);
        return new PluginProcess(builder.start(), socket, log, metricsPort);
    }

    /**
     * The launcher's environment: it derives SoftHSM's configuration from --sim-dir, so nothing of the harness's may
     * leak into it (this process's SOFTHSM2_CONF points at the backend floor's token, and two processes never share a
     * token directory).
     *
     * @param javaOptions extra JVM options (KMS_PLUGIN_JAVA_OPTS); empty for none
     */
    public static void launcherEnvironment(ProcessBuilder builder, String javaOptions) {
        // A launcher with no java of its own (the profiling one) takes the harness's JDK; the image's uses its own.
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("SOFTHSM2_CONF");
        builder.environment().remove("KMS_SIM_PIN");
        if (javaOptions.isEmpty()) {
            builder.environment().remove("KMS_PLUGIN_JAVA_OPTS");
        } else {
            builder.environment().put("KMS_PLUGIN_JAVA_OPTS", javaOptions);
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Resident set size from /proc (the launcher execs java, so this is the plugin's JVM). */
    public OptionalLong residentKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"),
                    StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // exited
        }
        return OptionalLong.empty();
    }


    /**
     * The image's runtime has no jdk.jfr module. For the flight recording, the same launcher script and the same
     * application modules run on the JDK that runs this harness: a copy of the script in a directory without
     * {@code bin/java}, which makes the script take {@code JAVA_HOME}'s java, with the same JVM options. Start-up
     * differs (no CDS archive for that JDK); the code measured does not.
     */
    public static Path profilingLauncher(Path launcher, Path workDir) throws IOException {
        Path home = workDir.resolve("profile-home");
        Path image = launcher.toAbsolutePath().getParent().getParent();
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Path script = home.resolve("bin").resolve(launcher.getFileName());
        Files.copy(launcher, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        if (!Files.exists(home.resolve("app"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(home.resolve("app"), image.resolve("app"));
            Files.createSymbolicLink(home.resolve("lib").resolve("netty"), image.resolve("lib").resolve("netty"));
        }
        return script;
    }
}
