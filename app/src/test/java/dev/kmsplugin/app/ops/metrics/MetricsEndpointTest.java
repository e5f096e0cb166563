package dev.kmsplugin.app.ops.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.ops.Scrape;
import dev.kmsplugin.app.ops.InProcessTransport;
import dev.kmsplugin.app.ops.http.OpsAddress;
import dev.kmsplugin.app.ops.http.ShippedLimits;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {

    private PrometheusTelemetry telemetry;
    private MetricsEndpoint endpoint;
    private InMemoryKeys keys;
    private EnvelopeService service;
    private InProcessTransport transport;

    @BeforeEach
    void start() {
        telemetry = new PrometheusTelemetry(Clock.systemUTC());
        endpoint = MetricsEndpoint.start(OpsAddress.parse("127.0.0.1:0", "--metrics-addr"), telemetry,
                ShippedLimits.get());
        keys = new InMemoryKeys("test-kek", telemetry, Duration.ZERO);
        service = new EnvelopeService(Backend.of(keys), telemetry);
        telemetry.watchHealth(() -> service.status().health());
        transport = new InProcessTransport(service, telemetry);
        transport.start();
    }

    @AfterEach
    void stop() {
        endpoint.close();
        telemetry.close();
    }

    private List<Scrape.Sample> scrape() throws Exception {
        Scrape.Response response = Scrape.get(endpoint.port(), "/metrics");
        assertEquals(200, response.status(), response.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", response.contentType());
        return Scrape.samples(response.body());
    }

    /** kube-apiserver's requests so far with this API version, method and gRPC code. */
    private static double requests(List<Scrape.Sample> samples, String api, String method, String code) {
        return Scrape.value(samples, "kms_request_duration_seconds_count",
                Map.of("api", api, "method", method, "code", code));
    }

    /** Backend operations so far with this outcome. */
    private static double backendCalls(List<Scrape.Sample> samples, String operation, String outcome) {
        return Scrape.value(samples, "kms_backend_operation_duration_seconds_count",
                Map.of("operation", operation, "outcome", outcome));
    }

    /** Backend operations retried so far for this reason. */
    private static double retries(List<Scrape.Sample> samples, String operation, String reason) {
        return Scrape.value(samples, "kms_backend_retries_total", Map.of("operation", operation, "reason", reason));
    }

    private static final Map<String, String> V2_ENCRYPT_OK = Map.of("api", "v2", "method", "Encrypt", "code", "OK");

    @Test
    void request_counts_and_latency_histograms_move_with_traffic() throws Exception {
        double before = Scrape.value(scrape(), "kms_request_duration_seconds_count", V2_ENCRYPT_OK);
        EncryptResult last = null;
        for (int i = 0; i < 5; i++) {
            last = transport.encrypt(new byte[32]);
        }
        transport.decrypt(last);
        List<Scrape.Sample> after = scrape();
        assertEquals(before + 5, Scrape.value(after, "kms_request_duration_seconds_count", V2_ENCRYPT_OK));
        assertEquals(1, requests(after, "v2", "Decrypt", "OK"));
        assertEquals(5, Scrape.value(after, "kms_request_duration_seconds_bucket", with(V2_ENCRYPT_OK, "le", "+Inf")));
        assertTrue(Scrape.value(after, "kms_request_duration_seconds_sum", V2_ENCRYPT_OK) > 0);
        assertEquals(5, backendCalls(after, "wrap", "ok"));
        assertEquals(1, backendCalls(after, "unwrap", "ok"));
    }

    @Test
    void failures_are_counted_by_code_and_outcome_never_by_message() throws Exception {
        EncryptResult good = transport.encrypt(new byte[32]);
        byte[] tampered = good.ciphertext().bytes();
        tampered[tampered.length - 1] ^= 1;
        EncryptResult bad = new EncryptResult(new dev.kmsplugin.domain.envelope.Ciphertext(tampered), good.keyId(),
                good.annotations());
        assertThrows(KmsException.IntegrityFailure.class, () -> transport.decrypt(bad));
        List<Scrape.Sample> samples = scrape();
        // an altered ciphertext is the caller's bad input: INVALID_ARGUMENT, as the gRPC transport maps it
        assertEquals(1, requests(samples, "v2", "Decrypt", "INVALID_ARGUMENT"));
        assertEquals(1, backendCalls(samples, "unwrap", "integrity_failure"));
        Set<String> labelNames = samples.stream().filter(s -> s.name().startsWith("kms_"))
                .flatMap(s -> s.labels().keySet().stream()).collect(Collectors.toSet());
        assertEquals(Set.of("api", "method", "code", "le", "operation", "outcome", "reason", "key_id", "state"),
                union(labelNames, Set.of("reason")), "unexpected label names: " + labelNames);
    }

    @Test
    void latency_buckets_resolve_sub_millisecond_and_tens_of_milliseconds() throws Exception {
        telemetry.requestCompleted("v2", "Encrypt", "OK", Duration.ofNanos(80_000));
        telemetry.requestCompleted("v2", "Encrypt", "OK", Duration.ofMillis(30));
        List<Scrape.Sample> samples = scrape().stream()
                .filter(s -> s.name().equals("kms_request_duration_seconds_bucket")
                        && s.labels().entrySet().containsAll(V2_ENCRYPT_OK.entrySet()))
                .toList();
        Map<Double, Double> cumulative = samples.stream().collect(Collectors.toMap(
                s -> s.labels().get("le").equals("+Inf") ? Double.POSITIVE_INFINITY
                        : Double.parseDouble(s.labels().get("le")), Scrape.Sample::value));
        assertEquals(0, cumulative.get(0.00005));
        assertEquals(1, cumulative.get(0.0001), "an 80 µs call lands below 100 µs: " + cumulative);
        assertEquals(1, cumulative.get(0.025));
        assertEquals(2, cumulative.get(0.05), "a 30 ms call lands between 25 and 50 ms: " + cumulative);
        assertTrue(cumulative.keySet().containsAll(Set.of(0.00025, 0.0005, 0.001, 0.005, 0.01, 0.1, 1.0, 10.0)),
                cumulative.keySet().toString());
    }

    @Test
    void retries_are_counted_by_operation_and_reason() throws Exception {
        telemetry.backendRetried("wrap", "throttled");
        telemetry.backendRetried("wrap", "throttled");
        telemetry.backendRetried("unwrap", "server_error");
        List<Scrape.Sample> samples = scrape();
        assertEquals(2, retries(samples, "wrap", "throttled"));
        assertEquals(1, retries(samples, "unwrap", "server_error"));
    }

    @Test
    void the_current_keys_creation_time_is_one_series_labelled_with_its_key_id() throws Exception {
        KeyId first = new KeyId("first-key-id");
        KeyId second = new KeyId("second-key-id");
        telemetry.currentKeyChanged(first, Instant.ofEpochSecond(1_700_000_000L, 500_000_000));
        // The start-up path names the key again without a time: the recorded time stays.
        telemetry.currentKeyChanged(first);
        assertEquals(List.of(Map.of("key_id", "first-key-id")), labelsOf(scrape(), CREATED));
        assertEquals(1_700_000_000.5, Scrape.value(scrape(), CREATED, Map.of()));

        telemetry.currentKeyChanged(second, Instant.ofEpochSecond(1_800_000_000L));
        assertEquals(List.of(Map.of("key_id", "second-key-id")), labelsOf(scrape(), CREATED));
        assertEquals(1_800_000_000.0, Scrape.value(scrape(), CREATED, Map.of()));

        // A version whose creation time the backend does not know: no series rather than a stale one.
        telemetry.currentKeyChanged(first);
        assertEquals(List.of(), labelsOf(scrape(), CREATED));
        assertEquals(List.of("first-key-id"), keyIds(scrape()));
    }

    @Test
    void expected_series_exist_at_zero_before_their_first_event() throws Exception {
        telemetry.retriesExpected("wrapKey", "throttled");
        telemetry.requestsExpected("v2", "Decrypt", "FAILED_PRECONDITION");
        List<Scrape.Sample> samples = scrape();
        assertEquals(List.of(0.0), valuesOf(samples, "kms_backend_retries_total",
                Map.of("operation", "wrapKey", "reason", "throttled")));
        assertEquals(List.of(0.0), valuesOf(samples, "kms_request_duration_seconds_count",
                Map.of("api", "v2", "method", "Decrypt", "code", "FAILED_PRECONDITION")));
        // the envelope service declares the unwraps that meet an unknown or retired key version
        assertEquals(List.of(0.0), valuesOf(samples, "kms_backend_operation_duration_seconds_count",
                Map.of("operation", "unwrap", "outcome", "unknown_key_version")));

        telemetry.backendRetried("wrapKey", "throttled");
        assertEquals(List.of(1.0), valuesOf(scrape(), "kms_backend_retries_total",
                Map.of("operation", "wrapKey", "reason", "throttled")));
    }

    private static final String CREATED = "kms_current_key_created_timestamp_seconds";

    private static List<Map<String, String>> labelsOf(List<Scrape.Sample> samples, String name) {
        return samples.stream().filter(s -> s.name().equals(name)).map(Scrape.Sample::labels).toList();
    }

    private static List<Double> valuesOf(List<Scrape.Sample> samples, String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .map(Scrape.Sample::value).toList();
    }

    @Test
    void the_current_key_gauge_names_exactly_one_key_id_and_follows_rotation() throws Exception {
        KeyId first = keys.current().keyId();
        List<Scrape.Sample> before = scrape();
        assertEquals(List.of(first.value()), keyIds(before));
        keys.rotate();
        KeyId second = keys.current().keyId();
        List<Scrape.Sample> after = scrape();
        assertEquals(List.of(second.value()), keyIds(after));
        assertFalse(first.equals(second));
    }

    @Test
    void health_state_and_probe_age_follow_the_backends_probes() throws Exception {
        List<Scrape.Sample> unprobed = scrape();
        assertEquals(1, Scrape.value(unprobed, "kms_backend_health", Map.of("state", "unknown")));
        assertTrue(Double.isNaN(Scrape.value(unprobed, "kms_backend_health_probe_age_seconds", Map.of())));
        keys.probe(null);
        List<Scrape.Sample> healthy = scrape();
        assertEquals(1, Scrape.value(healthy, "kms_backend_health", Map.of("state", "healthy")));
        assertEquals(0, Scrape.value(healthy, "kms_backend_health", Map.of("state", "unknown")));
        double age = Scrape.value(healthy, "kms_backend_health_probe_age_seconds", Map.of());
        assertTrue(age >= 0 && age < 5, "probe age " + age);
        keys.probe(new KmsException.BackendUnavailable("vault did not answer"));
        List<Scrape.Sample> failing = scrape();
        assertEquals(1, Scrape.value(failing, "kms_backend_health", Map.of("state", "unhealthy")));
        assertEquals(1, backendCalls(failing, "probe", "backend_unavailable"));
    }

    @Test
    void jvm_basics_are_exposed() throws Exception {
        Set<String> names = scrape().stream().map(Scrape.Sample::name).collect(Collectors.toSet());
        for (String name : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "jvm_gc_memory_allocated_bytes_total",
                "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds")) {
            assertTrue(names.contains(name), name + " missing from " + names);
        }
    }

    @Test
    void a_label_value_that_is_not_a_short_identifier_is_recorded_as_other() throws Exception {
        telemetry.requestCompleted("v2", "Encrypt", "key vault said: no such key 'x' (request id 42)", Duration.ZERO);
        assertEquals(1, requests(scrape(), "v2", "Encrypt", "other"));
    }

    @Test
    void many_distinct_unbounded_label_values_all_count_in_one_other_series() throws Exception {
        // Far more distinct values than the per-call timer cache keeps: every one is still counted, in one series.
        for (int i = 0; i < 1_000; i++) {
            telemetry.requestCompleted("v2", "Decrypt", "failure number " + i + " (no identifier)", Duration.ZERO);
        }
        telemetry.requestCompleted("v2", "Decrypt", "OK", Duration.ZERO);
        telemetry.requestCompleted("v2", "Decrypt", "OK", Duration.ZERO);
        assertEquals(1_000, requests(scrape(), "v2", "Decrypt", "other"));
        assertEquals(2, requests(scrape(), "v2", "Decrypt", "OK"));
    }

    @Test
    void refuses_a_port_in_use_naming_the_metrics_flag() throws Exception {
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> MetricsEndpoint.start(new OpsAddress("127.0.0.1", endpoint.port()), telemetry,
                        ShippedLimits.get()));
        assertTrue(error.getMessage().startsWith("metrics endpoint cannot listen on 127.0.0.1:" + endpoint.port()),
                error.getMessage());
        assertTrue(error.getMessage().endsWith("or choose another with --metrics-addr"), error.getMessage());
    }

    private static List<String> keyIds(List<Scrape.Sample> samples) {
        return samples.stream().filter(s -> s.name().equals("kms_current_key")).peek(s -> assertEquals(1, s.value()))
                .map(s -> s.labels().get("key_id")).toList();
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> copy = new java.util.HashMap<>(labels);
        copy.put(key, value);
        return copy;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return all;
    }
}
