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
}
