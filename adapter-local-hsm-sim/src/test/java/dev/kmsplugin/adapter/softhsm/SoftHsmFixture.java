package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.testkit.MapSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A real SoftHSM2 token for tests. SoftHSM reads its configuration and lists its tokens once per process, when the
 * library loads; so surefire runs each test class in a JVM of its own (reuseForks=false) and this fixture points the
 * configuration file SOFTHSM2_CONF names at a fresh token directory before the library loads. Each test class thus
 * gets a new token, and each test its own key name inside it.
 */
final class SoftHsmFixture {

    static final Path CONF;
    static final Path SIM_DIR;
    /** The directory SoftHSM keeps this JVM's token in. */
    static final Path TOKENS;
    static final String LABEL = "test-token";

    static {
        String conf = System.getenv(SimDirectory.CONF_ENV);
        if (conf == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests through Maven (see the pom)");
        }
        CONF = Path.of(conf).toAbsolutePath();
        try {
            String run = UUID.randomUUID().toString();
            Path tokens = CONF.getParent().resolve("tokens-" + run);
            TOKENS = tokens;
            SIM_DIR = CONF.getParent().resolve("sim-" + run);
            Files.createDirectories(tokens);
            Files.writeString(CONF, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\nslots.removable = false\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SoftHsmFixture() {
    }

    static Map<String, String> env() {
        return Map.of(SimDirectory.CONF_ENV, CONF.toString());
    }

    /** Settings for key {@code keyName} in this JVM's token. */
    static SimSettings settings(String keyName) {
        return new SimSettings(SIM_DIR, LABEL, keyName, Optional.empty(), Optional.empty(), Duration.ofHours(1),
                Duration.ofHours(1), Duration.ofMinutes(2));
    }

    static SoftHsmKekBackend backend(SimSettings settings) {
        return backend(settings, Telemetry.none());
    }

    static SoftHsmKekBackend backend(SimSettings settings, Telemetry telemetry) {
        SimulatorToken opened = SimulatorToken.openOrCreate(settings, env(), java.time.Clock.systemUTC());
        SoftHsmKekBackend backend = new SoftHsmKekBackend(settings, opened.token(), telemetry,
                java.time.Clock.systemUTC());
        backend.start();
        return backend;
    }

    /** Settings as the app would hand them over: the shipped defaults with {@code values} (paths under kms.hsm-sim). */
    static Settings settingsView(Map<String, String> values) {
        return MapSettings.reference("kms.hsm-sim").withAll(values);
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What each thread of {@link #onThreads} runs; it may throw, and its assertions fail the test. */
    @FunctionalInterface
    interface ThreadBody {
        void run() throws Exception;
    }

    /** A random 32-byte data key. */
    static Plaintext randomKey() {
        return new Plaintext(randomBytes(32));
    }

    static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** Runs {@code body} on {@code threads} threads at once and rethrows the first failure of any of them. */
    static void onThreads(int threads, ThreadBody body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                runs.add(pool.submit(() -> {
                    body.run();
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A call with a 5 s deadline. */
    static CallContext call() {
        return CallContext.of("test", Duration.ofSeconds(5));
    }
}
