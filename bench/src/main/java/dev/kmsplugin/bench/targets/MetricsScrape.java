package dev.kmsplugin.bench.targets;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the plugin's own counters from its Prometheus endpoint: requests served and backend operations done, so
 * that backend calls per apiserver request are measured on the running plugin rather than inferred.
 */
public final class MetricsScrape {

    private static final Pattern REQUESTS = Pattern.compile(
            "^kms_request_duration_seconds_count\\{[^}]*code=\"OK\"[^}]*} ([0-9.eE+]+)$", Pattern.MULTILINE);
    private static final Pattern BACKEND = Pattern.compile(
            "^kms_backend_operation_duration_seconds_count\\{operation=\"([a-z_]+)\",outcome=\"ok\"} ([0-9.eE+]+)$",
            Pattern.MULTILINE);

    /** Successful requests (all APIs and methods), wraps and unwraps, as counted by the plugin. */
    public record Counters(double requests, double wraps, double unwraps) {
        public Counters minus(Counters before) {
            return new Counters(requests - before.requests, wraps - before.wraps, unwraps - before.unwraps);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;

    public MetricsScrape(int port) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    public Counters read() throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double requests = 0;
        Matcher m = REQUESTS.matcher(body);
        while (m.find()) {
            requests += Double.parseDouble(m.group(1));
        }
        double wraps = 0;
        double unwraps = 0;
        Matcher b = BACKEND.matcher(body);
        while (b.find()) {
            if (b.group(1).equals("wrap")) {
                wraps += Double.parseDouble(b.group(2));
            } else if (b.group(1).equals("unwrap")) {
                unwraps += Double.parseDouble(b.group(2));
            }
        }
        return new Counters(requests, wraps, unwraps);
    }
}
