package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real SoftHSM2 simulator directory for one test class, under target/softhsm-test/. Surefire gives each class its
 * own JVM and sets SOFTHSM2_CONF to target/softhsm-test/softhsm2.conf; the fixture points that file at the class's
 * directory before anything loads the library. Fails loudly, with the install hint, when SoftHSM2 is missing.
 */
final class SimFixture implements AutoCloseable {

    final Path dir;
    final Map<String, String> env;

    private SimFixture(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    static SimFixture create(Class<?> testClass) throws IOException {
        String conf = System.getenv(SimDirectory.CONF_ENV);
        if (conf == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: run these tests through Maven (surefire sets it "
                    + "in adapter-local-hsm-sim/pom.xml)");
        }
        try {
            SoftHsmInstallation.library(Optional.empty());
            SoftHsmInstallation.util(Optional.empty());
        } catch (KmsException.Misconfigured e) {
            throw new AssertionError("SoftHSM2 is required by these tests: " + e.getMessage(), e);
        }
        Path root = Path.of(conf).toAbsolutePath().getParent();
        Path dir = root.resolve(testClass.getSimpleName());
        delete(dir);
        Files.createDirectories(dir.resolve(SimDirectory.TOKENS));
        Files.writeString(Path.of(conf), "directories.tokendir = " + dir.resolve(SimDirectory.TOKENS) + "\n"
                + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
        return new SimFixture(dir, Map.copyOf(System.getenv()));
    }

    /** Settings as reference.conf has them, with this directory and short intervals; overrides win. */
    Settings settings(String... overrides) {
        Map<String, String> values = new HashMap<>();
        values.put("sim-dir", dir.toString());
        values.put("token-label", "kms-plugin");
        values.put("key-name", "kms-plugin-kek");
        values.put("pin-file", "");
        values.put("pin-env", "KMS_HSM_SIM_TEST_PIN_UNSET");
        values.put("library", "");
        values.put("softhsm2-util", "");
        values.put("refresh-interval", "30s");
        values.put("probe-interval", "15s");
        values.put("health-grace", "60s");
        for (int i = 0; i < overrides.length; i += 2) {
            values.put(overrides[i], overrides[i + 1]);
        }
        return new MapSettings(values);
    }

    SimSettings simSettings(String... overrides) {
        return SimSettings.from(settings(overrides));
    }

    @Override
    public void close() throws IOException {
        delete(dir);
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** The subset of typesafe-config the simulator reads: strings and durations like {@code 30s} or {@code 200ms}. */
    record MapSettings(Map<String, String> values) implements Settings {
        @Override
        public boolean has(String path) {
            return values.containsKey(path);
        }

        @Override
        public String string(String path) {
            String value = values.get(path);
            if (value == null) {
                throw new KmsException.Misconfigured("kms.hsm-sim." + path + " is not set");
            }
            return value;
        }

        @Override
        public Optional<String> optionalString(String path) {
            return Optional.ofNullable(values.get(path)).filter(v -> !v.isEmpty());
        }

        @Override
        public int integer(String path) {
            return Integer.parseInt(string(path));
        }

        @Override
        public boolean bool(String path) {
            return Boolean.parseBoolean(string(path));
        }

        @Override
        public Duration duration(String path) {
            String value = string(path);
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
        }

        @Override
        public List<String> strings(String path) {
            return List.of(string(path).split(","));
        }

        @Override
        public Settings at(String path) {
            throw new UnsupportedOperationException("the simulator reads no sub-trees");
        }
    }
}
