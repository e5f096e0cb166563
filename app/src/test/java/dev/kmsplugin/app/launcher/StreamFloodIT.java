package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.ops.ListeningPorts;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A caller of the socket floods the packaged plugin with HTTP/2 streams whose request never completes (100
 * connections of 16 or 80 Decrypt streams announcing 131,000 bytes each, some sending most of them): new callers
 * must still be answered, the unfinished streams must be ended by the server (--request-read-timeout), and the
 * plugin must not run out of direct memory.
 */
class StreamFloodIT {

    private final Path dir = ShortTempDirs.create("flood-it-");
    private Process plugin;


    @AfterEach
    void stop() throws Exception {
        if (plugin != null) {
            plugin.destroy();
            plugin.waitFor(30, TimeUnit.SECONDS);
        }
        ShortTempDirs.delete(dir);
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("plugin.log"));
    }

    private Path socket;
    private int health;
    private int metrics;

    private void startPlugin() throws Exception {
        socket = dir.resolve("kms.sock");
        plugin = new ProcessBuilder(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(), "--backend=hsm-sim",
                "--sim-dir=" + dir.resolve("sim"), "--listen-addr=unix://" + socket)
                .redirectErrorStream(true).redirectOutput(dir.resolve("plugin.log").toFile()).start();
        ListeningPorts ports = ListeningPorts.await(plugin, dir.resolve("plugin.log"));
        health = ports.health();
        metrics = ports.metrics();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), log());
    }

    /** New callers are answered while the flood is open: Status, Encrypt, /livez; prints the memory figures. */
    private void callersAreServed(StreamFlood flood) throws Exception {
        GrpcLauncherIT.Run status = GrpcLauncherIT.run(List.of(
                LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(), "client", "status",
                "--listen-addr=unix://" + socket, "--client-timeout=10s"), new byte[0]);
        assertEquals(0, status.exitCode(), "Status during the flood: " + status.err() + "\n" + log());
        GrpcLauncherIT.Run encrypt = GrpcLauncherIT.run(List.of(
                LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(), "client", "encrypt",
                "--listen-addr=unix://" + socket, "--client-timeout=10s"), new byte[32]);
        assertEquals(0, encrypt.exitCode(), "Encrypt during the flood: " + encrypt.err());
        assertEquals("200 ok\n", get("http://127.0.0.1:" + health + "/livez"), "/livez during the flood");
        String scrape = get("http://127.0.0.1:" + metrics + "/metrics");
        Matcher direct = Pattern.compile("jvm_buffer_memory_used_bytes\\{id=\"direct\"} (\\S+)").matcher(scrape);
        System.out.println("stream flood: " + flood.size() + " connections open, " + flood.written()
                + " bytes taken in, " + (direct.find() ? "direct memory " + direct.group(1) + " bytes, " : "")
                + rss(plugin.pid()) + " resident");
    }

    @Test
    void unfinished_streams_are_ended_and_new_callers_are_answered_meanwhile() throws Exception {
        startPlugin();
        try (StreamFlood flood = new StreamFlood().open(socket, 100, 16, 131_000)) {
            callersAreServed(flood);
            int ended = flood.streamsEndedOnFirst(TimeUnit.SECONDS.toMillis(30));
            assertEquals(16, ended, "the server ends every stream whose request never completes, at"
                    + " --request-read-timeout:\n" + log());
        }
        assertFalse(log().contains("OutOfMemoryError"), log());
    }

    @Test
    void streams_that_send_most_of_a_large_message_cannot_exhaust_direct_memory() throws Exception {
        startPlugin();
        try (StreamFlood flood = new StreamFlood().open(socket, 100, 80, 131_000, 120_000)) {
            callersAreServed(flood);
        }
        assertTrue(plugin.isAlive(), "the plugin survived the flood:\n" + log());
        assertFalse(log().contains("OutOfMemoryError"), log());
    }

    /** "STATUS BODY" of a GET, with connect and read timeouts so that a hung server fails the test. */
    private static String get(String url) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        connection.setConnectTimeout(10_000);
        connection.setReadTimeout(10_000);
        int code = connection.getResponseCode();
        try (InputStream body = code < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            return code + " " + new String(body.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return line.substring(6).strip();
            }
        }
        return "?";
    }
}
