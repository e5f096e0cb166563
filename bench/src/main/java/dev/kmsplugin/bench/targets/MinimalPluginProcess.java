package dev.kmsplugin.bench.targets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The minimal SoftHSM plugin ({@code dev.kmsplugin.bench.minimal.MinimalPlugin}) as its own JVM, like the plugin: the
 * JDK's defaults, this harness's class path, its own token directory and {@code SOFTHSM2_CONF}. Its output goes to
 * {@code minimal.log} in its directory.
 */
public final class MinimalPluginProcess extends ServerProcess {

    private static final String MAIN = "dev.kmsplugin.bench.minimal.MinimalPlugin";

    private MinimalPluginProcess(Process process, Path socket, Path log) {
        super(process, socket, log, Duration.ofSeconds(10));
    }

    /**
     * Starts it serving on {@code dir/minimal.sock} and waits until it prints {@code ready}.
     *
     * @param javaOptions JVM options (a flight recording, for the profile); empty for the JDK's defaults
     */
    public static MinimalPluginProcess start(Path dir, Duration patience, List<String> javaOptions)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path socket = dir.resolve("minimal.sock");
        Path log = dir.resolve("minimal.log");
        Files.deleteIfExists(log);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN, socket.toString(), dir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("SOFTHSM2_CONF", dir.resolve("softhsm2.conf").toString());
        builder.environment().remove("KMS_SIM_PIN");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        MinimalPluginProcess started = new MinimalPluginProcess(builder.start(), socket, log);
        started.awaitReady(patience);
        return started;
    }

    private void awaitReady(Duration patience) throws IOException, InterruptedException {
        long until = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() - until < 0) {
            if (Files.exists(log()) && Files.readAllLines(log(), StandardCharsets.UTF_8).contains("ready")) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("the minimal plugin exited with " + process.exitValue() + " before"
                        + " it was ready; see " + log());
            }
            Thread.sleep(50);
        }
        close();
        throw new IllegalStateException("the minimal plugin was not ready within " + patience.toSeconds() + " s; see "
                + log());
    }
}
