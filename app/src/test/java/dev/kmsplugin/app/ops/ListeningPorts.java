package dev.kmsplugin.app.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ports a launched plugin's health and metrics endpoints took (port 0 asked for free ones), read from the
 * "endpoint listening on" lines of its log; a bounded wait that fails with the log when the plugin dies or is slow.
 */
public record ListeningPorts(int health, int metrics) {

    private static final Pattern LISTENING = Pattern.compile(
            "(health|metrics) endpoint listening on http://127\\.0\\.0\\.1:(\\d+)");

    public static ListeningPorts await(Process plugin, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int health = 0;
        int metrics = 0;
        while (health == 0 || metrics == 0) {
            assertTrue(plugin.isAlive(), "plugin exited with " + (plugin.isAlive() ? "" : plugin.exitValue()) + ": "
                    + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "endpoints not bound within 60 s: " + Files.readString(log));
            Matcher listening = LISTENING.matcher(Files.readString(log));
            while (listening.find()) {
                if (listening.group(1).equals("health")) {
                    health = Integer.parseInt(listening.group(2));
                } else {
                    metrics = Integer.parseInt(listening.group(2));
                }
            }
            Thread.sleep(50);
        }
        return new ListeningPorts(health, metrics);
    }

    /**
     * Starts {@code command} (a plugin asked for free health and metrics ports), its output in {@code dir} and its
     * log in {@code log}, and waits until its endpoints are bound and {@code /readyz} answers 200.
     */
    public static Started startReady(java.util.List<String> command, Path dir, Path log) throws Exception {
        Process plugin = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(dir.resolve("plugin.out").toFile())
                .redirectError(log.toFile())
                .start();
        ListeningPorts ports = await(plugin, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Scrape.get(ports.health(), "/readyz").status() != 200) {
            assertTrue(System.nanoTime() < deadline, "not ready within 60 s: " + Files.readString(log));
            Thread.sleep(100);
        }
        return new Started(plugin, ports);
    }

    /** A plugin that {@link #startReady} started, and its ports. */
    public record Started(Process process, ListeningPorts ports) {
    }
}
