package dev.kmsplugin.app.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Real HTTP requests to the operations endpoints, and a strict reader of the Prometheus text format. */
public final class Scrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    public record Response(int status, String contentType, String body) {
    }

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private Scrape() {
    }

    public static Response get(int port, String path) throws Exception {
        return send(port, path, "GET");
    }

    public static Response send(int port, String path, String method) throws Exception {
        // HttpURLConnection rather than java.net.http: the tests are compiled into the app module, which reads
        // java.base but not java.net.http.
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                .openConnection();
        try {
            connection.setConnectTimeout(5_000);
            connection.setReadTimeout(10_000);
            connection.setRequestMethod(method);
            int status = connection.getResponseCode();
            InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            String type = connection.getContentType();
            return new Response(status, type == null ? "" : type, text);
        } finally {
            connection.disconnect();
        }
    }

    /** Every sample line of a scrape; fails the test on a line that is neither a comment nor a sample. */
    public static List<Sample> samples(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), "not a Prometheus sample line: " + line);
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                int end = 0;
                while (label.find() && label.start() == end) {
                    labels.put(label.group(1), label.group(2));
                    end = label.end();
                }
                assertTrue(end == sample.group(3).length(), "bad labels in: " + line);
            }
            samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(4))));
        }
        return samples;
    }

    /** The value of the one sample with {@code name} whose labels include {@code labels}; 0 when none. */
    public static double value(List<Sample> samples, String name, Map<String, String> labels) {
        List<Sample> matching = samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .toList();
        assertTrue(matching.size() <= 1, "several samples match " + name + labels + ": " + matching);
        return matching.isEmpty() ? 0 : matching.get(0).value();
    }
}
