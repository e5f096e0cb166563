package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.deploy.MonitoringRulesTest;
import dev.kmsplugin.app.ops.ListeningPorts;
import java.io.File;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The names the shipped alerts and dashboard (deploy/monitoring) use are names the plugin exports: the packaged
 * launcher is started with the simulator backend and with the Key Vault backend against the test Key Vault (which
 * throttles one unwrap), each is scraped, and every {@code kms_*} name found in an alert or dashboard query must be
 * among the sample names of the scrape. Histogram names are compared as the sample names the queries use
 * ({@code _bucket}, {@code _count}, {@code _sum}), so a query of a histogram's bare name would fail too.
 */
class MonitoringMetricsIT {

    private static final Pattern KMS_NAME = Pattern.compile("\\bkms_[a-z0-9_]+");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? (\\S+)");
    private static final Pattern METRICS_PORT =
            Pattern.compile("metrics endpoint listening on http://127\\.0\\.0\\.1:(\\d+)");
    /** Exported only by the Key Vault backend: the simulator has nothing to retry. */
    private static final Set<String> KEY_VAULT_ONLY = Set.of("kms_backend_retries_total");
    private static final byte[] DEK = "monitoring-it-data-key-0123456789".getBytes(StandardCharsets.US_ASCII);

    private static Instant vaultStarted;

    record Sample(String name, String labels, double value) {
    }

    @BeforeAll
    static void startTestKeyVault() throws Exception {
        // whole seconds: Key Vault's timestamps are Unix seconds
        vaultStarted = Instant.ofEpochSecond(Instant.now().getEpochSecond());
        KeyVaultLauncherIT.startTestKeyVault();
    }

    @AfterAll
    static void stopTestKeyVault() throws InterruptedException {
        KeyVaultLauncherIT.stopTestKeyVault();
    }

    /** Every kms_* name in the shipped alerting rules and dashboard queries. */
    static Set<String> namesUsed() throws Exception {
        List<String> exprs = new ArrayList<>();
        MonitoringRulesTest.alerts().forEach(alert -> exprs.add((String) alert.get("expr")));
        exprs.addAll(MonitoringRulesTest.dashboardQueries().values());
        Set<String> names = new TreeSet<>();
        for (String expr : exprs) {
            Matcher name = KMS_NAME.matcher(expr);
            while (name.find()) {
                names.add(name.group());
            }
        }
        return names;
    }

    static List<Sample> scrape(int port) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/metrics").toURL()
                .openConnection();
        try {
            connection.setConnectTimeout(5_000);
            connection.setReadTimeout(10_000);
            assertEquals(200, connection.getResponseCode());
            String body;
            try (InputStream in = connection.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            List<Sample> samples = new ArrayList<>();
            for (String line : body.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Matcher sample = SAMPLE.matcher(line);
                assertTrue(sample.matches(), "not a sample line: " + line);
                samples.add(new Sample(sample.group(1), sample.group(3) == null ? "" : sample.group(3),
                        Double.parseDouble(sample.group(4))));
            }
            return samples;
        } finally {
            connection.disconnect();
        }
    }

    private static Set<String> names(List<Sample> samples) {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    private static List<Sample> named(List<Sample> samples, String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    private static String label(Sample sample, String label) {
        Matcher value = Pattern.compile("(?:^|,)" + label + "=\"([^\"]*)\"").matcher(sample.labels());
        assertTrue(value.find(), "no " + label + " label on " + sample);
        return value.group(1);
    }

    /** The creation gauge: one series, naming kms_current_key's key_id, at or after {@code notBefore}. */
    private static void assertKeyCreated(List<Sample> samples, Instant notBefore) {
        List<Sample> created = named(samples, "kms_current_key_created_timestamp_seconds");
        List<Sample> current = named(samples, "kms_current_key");
        assertEquals(1, created.size(), "creation gauge: " + created);
        assertEquals(1, current.size(), "current key gauge: " + current);
        assertEquals(label(current.get(0), "key_id"), label(created.get(0), "key_id"));
        double seconds = created.get(0).value();
        assertTrue(seconds >= notBefore.getEpochSecond(), "created " + seconds + " before " + notBefore);
        assertTrue(seconds <= Instant.now().getEpochSecond() + 1, "created " + seconds + " is in the future");
    }

    @Test
    void the_simulator_plugin_exports_every_name_the_alerts_and_dashboard_use() throws Exception {
        Set<String> used = namesUsed();
        assertTrue(used.containsAll(Set.of("kms_backend_health", "kms_request_duration_seconds_bucket",
                "kms_current_key_created_timestamp_seconds", "kms_backend_retries_total")), "names found: " + used);
        Path dir = ShortTempDirs.create("mon-it-");
        Path log = dir.resolve("plugin.log");
        Process plugin = null;
        try {
            Instant beforeInit = Instant.ofEpochSecond(Instant.now().getEpochSecond());
            KeyVaultLauncherIT.Run init = KeyVaultLauncherIT.launchTrustingTheVault(
                    List.of("sim", "init", "--sim-dir=" + dir));
            assertEquals(0, init.exitCode(), init.err());
            plugin = new ProcessBuilder(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(),
                    "--backend=hsm-sim", "--sim-dir=" + dir, "--listen-addr=unix://" + dir.resolve("kms.sock"),
                    "--healthz-port=0", "--metrics-addr=127.0.0.1:0")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            int port = ListeningPorts.await(plugin, log).metrics();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log).contains("serving KMS on")) {
                assertTrue(plugin.isAlive() && System.nanoTime() < deadline, "not serving: " + Files.readString(log));
                Thread.sleep(50);
            }
            KeyVaultLauncherIT.Run encrypt = KeyVaultLauncherIT.client(dir.resolve("kms.sock").toString(), DEK,
                    "encrypt");
            assertEquals(0, encrypt.exitCode(), encrypt.err());

            List<Sample> samples = scrape(port);
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(KEY_VAULT_ONLY);
            missing.removeAll(names(samples));
            assertEquals(Set.of(), missing, "used by deploy/monitoring but not exported by the simulator plugin");
            // the transport declares its request series: a Decrypt failure code no call has met yet is there at 0
            assertEquals(List.of(0.0), samples.stream().filter(s -> s.name().equals("kms_request_duration_seconds_count")
                    && s.labels().contains("api=\"v2\"") && s.labels().contains("method=\"Decrypt\"")
                    && s.labels().contains("code=\"FAILED_PRECONDITION\"")).map(Sample::value).toList());
            assertKeyCreated(samples, beforeInit);
        } finally {
            if (plugin != null) {
                plugin.destroy();
                plugin.waitFor(30, TimeUnit.SECONDS);
            }
            ShortTempDirs.delete(dir);
        }
    }

    @Test
    void the_key_vault_plugin_exports_every_name_and_counts_a_throttled_unwrap() throws Exception {
        Set<String> used = namesUsed();
        Path socketDir = ShortTempDirs.create("mon-kv-");
        String socket = socketDir.resolve("kms.sock").toString();
        List<String> flags = KeyVaultLauncherIT.keyVaultFlags("kek",
                KeyVaultLauncherIT.WORK.resolve("azure.json").toString());
        flags.addAll(List.of("--listen-addr=unix://" + socket, "--healthz-port=0", "--metrics-addr=127.0.0.1:0"));
        try (KeyVaultLauncherIT.Plugin plugin = new KeyVaultLauncherIT.Plugin(flags, Map.of())) {
            assertTrue(plugin.awaitOutput(out -> out.contains("serving KMS on"), 60), plugin.output.toString());
            Matcher port = METRICS_PORT.matcher(plugin.output.toString());
            assertTrue(port.find(), plugin.output.toString());
            int metricsPort = Integer.parseInt(port.group(1));

            List<Sample> before = scrape(metricsPort);
            List<Sample> throttledBefore = before.stream().filter(s -> s.name().equals("kms_backend_retries_total")
                    && s.labels().contains("operation=\"unwrapKey\"") && s.labels().contains("reason=\"throttled\""))
                    .toList();
            assertEquals(1, throttledBefore.size(), "the throttled unwrap series exists at start: " + throttledBefore);
            assertEquals(0.0, throttledBefore.get(0).value());

            KeyVaultLauncherIT.Run encrypt = KeyVaultLauncherIT.client(socket, DEK, "encrypt");
            assertEquals(0, encrypt.exitCode(), encrypt.err());
            assertEquals("unwrapkey", KeyVaultLauncherIT.vaultCommand("throttle unwrapkey", "THROTTLING "));
            KeyVaultLauncherIT.Run decrypt = KeyVaultLauncherIT.client(socket,
                    encrypt.out().getBytes(StandardCharsets.US_ASCII), "decrypt");
            assertEquals(0, decrypt.exitCode(), decrypt.err());
            assertEquals(new String(DEK, StandardCharsets.ISO_8859_1), decrypt.out());

            List<Sample> samples = scrape(metricsPort);
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(names(samples));
            assertEquals(Set.of(), missing, "used by deploy/monitoring but not exported by the Key Vault plugin");
            List<Sample> throttled = samples.stream().filter(s -> s.name().equals("kms_backend_retries_total")
                    && s.labels().contains("operation=\"unwrapKey\"") && s.labels().contains("reason=\"throttled\""))
                    .toList();
            assertEquals(1, throttled.size(), throttled.toString());
            assertEquals(1.0, throttled.get(0).value(), "one 429 on unwrapKey, retried once");
            assertKeyCreated(samples, vaultStarted);
        } finally {
            Files.deleteIfExists(Path.of(socket));
            Files.deleteIfExists(socketDir);
        }
    }
}
