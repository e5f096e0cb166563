package dev.kmsplugin.app.ops.metrics;

import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.ports.outbound.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.distribution.pause.NoPauseDetector;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@link Telemetry} port on Micrometer's Prometheus registry, plus the backend's health and JVM basics.
 *
 * <p>Every label value comes from a small fixed set (API, method, gRPC code, operation, outcome, health state) or
 * is the current key id, which is already a hash and changes only on rotation. As a guard against a caller passing
 * something unbounded anyway, a label value that is not a short identifier is recorded as {@code other}.
 */
public final class PrometheusTelemetry implements Telemetry, AutoCloseable {

    /**
     * Histogram buckets in seconds: fine below a millisecond for the simulator and in-memory paths, and through
     * tens and hundreds of milliseconds for Key Vault and Managed HSM round trips, up to the apiserver's timeouts.
     */
    static final Duration[] BUCKETS = {
            micros(50), micros(100), micros(250), micros(500),
            Duration.ofMillis(1), micros(2500), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private static final Pattern BOUNDED = Pattern.compile("[A-Za-z0-9_./-]{1,64}");

    private final PrometheusMeterRegistry registry;
    // The timers of the per-call series, found by their label values without building tags or checking them
    // against the pattern again: registering is a lookup in Micrometer too, but one that costs a Meter.Id per call.
    private final ConcurrentHashMap<Labels, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Labels, Timer> backendTimers = new ConcurrentHashMap<>();
    private final JvmGcMetrics gc;
    private final Clock clock;
    private Gauge currentKey;
    private Gauge currentKeyCreated;
    private KeyId currentKeyId;
    private volatile Supplier<Health> health = Health::unknown;

    public PrometheusTelemetry(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // The default pause detector runs a background thread to correct timings for JVM pauses; these timings
        // are short and the thread is not worth it.
        registry.config().pauseDetector(new NoPauseDetector());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        for (Health.State state : Health.State.values()) {
            Gauge.builder("kms.backend.health", this, t -> t.health.get().state() == state ? 1 : 0)
                    .description("The backend's health as last probed: 1 for the current state, 0 for the others")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        Gauge.builder("kms.backend.health.probe.age", this, t -> ageSeconds(t.health.get().lastProbe()))
                .description("Seconds since the backend's last health probe finished (NaN before the first)")
                .baseUnit("seconds").register(registry);
        Gauge.builder("kms.backend.health.success.age", this, t -> ageSeconds(t.health.get().lastSuccess()))
                .description("Seconds since the backend's last successful health probe (NaN before the first)")
                .baseUnit("seconds").register(registry);
    }

    /** Where the health gauges read the backend's cached health from (the envelope service's status). */
    public void watchHealth(Supplier<Health> source) {
        this.health = Objects.requireNonNull(source, "source");
    }

    @Override
    public void requestCompleted(String api, String method, String code, Duration elapsed) {
        requests(api, method, code).record(elapsed);
    }

    @Override
    public void requestsExpected(String api, String method, String code) {
        requests(api, method, code);
    }

    /**
     * Makes the timer of {@code labels} when the cache does not have it yet, and caches it. The caller looks in the
     * cache first: a hit, on every call, allocates nothing but the key (no label array, no capturing lambda), and
     * the key compares its strings directly rather than through a record's generated methods, which C1 leaves as
     * method handle chains. The cache keeps at most {@link #MAX_CACHED} label sets: the values come from small fixed
     * sets, and should one ever not, the registry (which records an unbounded value as {@code other}) still bounds
     * the series, and the cache stops growing.
     */
    private Timer register(ConcurrentHashMap<Labels, Timer> cache, Labels labels, String name, String description,
            String... labelNamesAndValues) {
        Timer timer = timer(name, description, labelNamesAndValues);
        if (cache.size() < MAX_CACHED) {
            cache.putIfAbsent(labels, timer);
        }
        return timer;
    }

    private static final int MAX_CACHED = 256;

    /** The label values of one series of a per-call timer. */
    private static final class Labels {
        private final String first;
        private final String second;
        private final String third;

        Labels(String first, String second, String third) {
            this.first = first;
            this.second = second;
            this.third = third;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Labels that && first.equals(that.first) && second.equals(that.second)
                    && third.equals(that.third);
        }

        @Override
        public int hashCode() {
            return (first.hashCode() * 31 + second.hashCode()) * 31 + third.hashCode();
        }
    }

    private Timer requests(String api, String method, String code) {
        Labels labels = new Labels(api, method, code);
        Timer timer = requestTimers.get(labels);
        return timer != null ? timer : register(requestTimers, labels, "kms.request.duration",
                "Requests from kube-apiserver by API version, method and gRPC status code",
                "api", api, "method", method, "code", code);
    }

    @Override
    public void backendCallCompleted(String operation, String outcome, Duration elapsed) {
        backendCalls(operation, outcome).record(elapsed);
    }

    @Override
    public void backendCallsExpected(String operation, String outcome) {
        backendCalls(operation, outcome);
    }

    private Timer backendCalls(String operation, String outcome) {
        Labels labels = new Labels(operation, outcome, "");
        Timer timer = backendTimers.get(labels);
        return timer != null ? timer : register(backendTimers, labels, "kms.backend.operation.duration",
                "Backend operations (wrap, unwrap, probe, ...) by outcome, after all retries",
                "operation", operation, "outcome", outcome);
    }

    @Override
    public void backendRetried(String operation, String reason) {
        retries(operation, reason).increment();
    }

    @Override
    public void retriesExpected(String operation, String reason) {
        retries(operation, reason);
    }

    private Counter retries(String operation, String reason) {
        return Counter.builder("kms.backend.retries")
                .description("Backend operations retried, by reason (throttled, server_error, ...)")
                .tags(boundedTags("operation", operation, "reason", reason))
                .register(registry);
    }

    /** A latency histogram with the shared {@link #BUCKETS}, one series per set of (bounded) label values. */
    private Timer timer(String name, String description, String... labelNamesAndValues) {
        return Timer.builder(name)
                .description(description)
                .tags(boundedTags(labelNamesAndValues))
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    /** Label names paired with their values, each value passed through {@link #bounded}. */
    private static Tags boundedTags(String... namesAndValues) {
        String[] tags = namesAndValues.clone();
        for (int i = 1; i < tags.length; i += 2) {
            tags[i] = bounded(tags[i]);
        }
        return Tags.of(tags);
    }

    /** Keeps the creation time already recorded when the key id is the current one; otherwise it is unknown. */
    @Override
    public synchronized void currentKeyChanged(KeyId keyId) {
        if (keyId.equals(currentKeyId)) {
            return;
        }
        currentKeyChanged(keyId, null);
    }

    @Override
    public synchronized void currentKeyChanged(KeyId keyId, Instant created) {
        if (currentKey != null) {
            registry.remove(currentKey);
        }
        if (currentKeyCreated != null) {
            registry.remove(currentKeyCreated);
            currentKeyCreated = null;
        }
        currentKeyId = keyId;
        // key_id is a SHA-256 hex digest or similar opaque name; one series exists at a time.
        currentKey = Gauge.builder("kms.current.key", () -> 1)
                .description("Always 1; the key_id label names the key version new data keys are wrapped with")
                .tag("key_id", keyId.value())
                .register(registry);
        if (created != null) {
            double seconds = created.toEpochMilli() / 1000.0;
            currentKeyCreated = Gauge.builder("kms.current.key.created.timestamp", () -> seconds)
                    .description("Unix time in seconds at which the current key version was created; absent when"
                            + " the backend does not know")
                    .tag("key_id", keyId.value())
                    .baseUnit("seconds")
                    .register(registry);
        }
    }

    /** The registry's content in the Prometheus text exposition format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    private double ageSeconds(Instant at) {
        return at == null ? Double.NaN : Duration.between(at, clock.instant()).toMillis() / 1000.0;
    }

    private static String bounded(String value) {
        return value != null && BOUNDED.matcher(value).matches() ? value : "other";
    }

    private static Duration micros(long micros) {
        return Duration.ofNanos(micros * 1000);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
