package dev.kmsplugin.bench;

import dev.kmsplugin.adapter.grpc.client.UnixSocketChannel;
import dev.kmsplugin.bench.load.ClosedLoop;
import dev.kmsplugin.bench.load.TimedCall;
import dev.kmsplugin.bench.load.Result;
import dev.kmsplugin.bench.targets.GrpcScenarios;
import dev.kmsplugin.bench.targets.PluginProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * {@code bench/run keyvault}: the packaged plugin on the Key Vault backend against the project's test Key Vault (a
 * JVM of its own on loopback, HTTPS and Entra ID token endpoints, RSA by the JDK), once with {@code --wrap=local}
 * and once with {@code --wrap=remote}, in alternating rounds. For each it reports the Key Vault requests each v2
 * Encrypt, Decrypt and Status costs (counted at the vault's endpoint around sequential calls) and v2 Encrypt
 * latency and throughput at 1 and at {@code --callers} callers. The test vault shares the machine's cores with the
 * plugin and the load: remote figures measure this machine, not Key Vault's service time, which adds its own
 * network round trip to every remote wrap.
 */
public final class KeyVaultWrapBench {

    private static final int COUNTED_CALLS = 200;
    private static final List<String> MODES = List.of("local", "remote");

    private final Options options;
    private final PrintStream out = System.out;
    private final List<String> rows = new ArrayList<>();

    private KeyVaultWrapBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parseOrExit(args, "bench/run keyvault");
        if (options == null) {
            return;
        }
        String classpath = System.getProperty("bench.vault.classpath", "");
        if (classpath.isEmpty()) {
            System.err.println("bench/run keyvault: -Dbench.vault.classpath (adapter-keyvault's test classes and their "
                    + "dependencies) is not set; run it through bench/run");
            System.exit(2);
        }
        new KeyVaultWrapBench(options).run(classpath);
    }

    private void run(String classpath) throws Exception {
        Path work = options.workDir();
        Files.createDirectories(work);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process vault = new ProcessBuilder(java.toString(), "-cp", classpath,
                "dev.kmsplugin.adapter.keyvault.TestKeyVaultMain", work.resolve("vault").toString())
                .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("vault.err").toFile())).start();
        try (BufferedReader answers = new BufferedReader(new InputStreamReader(vault.getInputStream(),
                StandardCharsets.UTF_8));
             Writer commands = new java.io.OutputStreamWriter(vault.getOutputStream(), StandardCharsets.UTF_8)) {
            String ready = answers.readLine();
            if (ready == null || !ready.startsWith("READY ")) {
                throw new IllegalStateException("the test Key Vault did not start: " + ready + " (see "
                        + work.resolve("vault.err") + ")");
            }
            Map<String, String> fields = fields(ready.substring("READY ".length()));
            Path endpoint = work.resolve("endpoint.conf");
            Files.writeString(endpoint, "kms.keyvault.endpoint = \"" + fields.get("url") + "\"\n"
                    + "kms.keyvault.authority-host = \"" + fields.get("url") + "\"\n");
            String javaOptions = "-Djavax.net.ssl.trustStore=" + fields.get("truststore")
                    + " -Djavax.net.ssl.trustStorePassword=" + fields.get("password");
            out.printf(Locale.ROOT, "keyvault wrap: test Key Vault at %s; %d round(s), %s per measurement after %s "
                    + "warm-up; load average %s%n%n", fields.get("url"), Math.max(1, options.rounds()),
                    options.duration(), options.warmup(), loadAverage());
            Counter counter = new Counter(commands, answers);
            for (int round = 1; round <= Math.max(1, options.rounds()); round++) {
                for (String mode : MODES) {
                    measure(round, mode, work, endpoint, javaOptions, counter);
                }
            }
        } finally {
            vault.destroy();
            vault.waitFor();
        }
        out.println();
        out.printf("%-6s %-7s %-9s %7s %9s %8s %8s %8s %7s%n", "round", "wrap", "scenario", "callers", "ops/s",
                "p50 ms", "p99 ms", "max ms", "errors");
        rows.forEach(out::println);
    }

    private void measure(int round, String mode, Path work, Path endpoint, String javaOptions, Counter counter)
            throws Exception {
        List<String> backend = List.of("--backend=keyvault", "--keyvault-name=myvault", "--key-name=kek",
                "--config-file-path=" + work.resolve("vault/azure.json"), "--config=" + endpoint, "--wrap=" + mode);
        try (PluginProcess plugin = PluginProcess.start(options.launcher(), work.resolve("plugin-" + mode),
                javaOptions, backend);
             UnixSocketChannel channel = UnixSocketChannel.open(plugin.socket().toString(),
                     GrpcScenarios.CLIENT_THREAD)) {
            GrpcScenarios scenarios = new GrpcScenarios(channel.channel(), true);
            scenarios.awaitOk(Duration.ofSeconds(60));
            Map<String, IntFunction<TimedCall>> all = scenarios.all();
            out.printf(Locale.ROOT, "round %d, --wrap=%s: Key Vault requests per call (%d sequential calls each):",
                    round, mode, COUNTED_CALLS);
            for (String scenario : List.of("v2 Encrypt", "v2 Decrypt", "v2 Status")) {
                TimedCall call = all.get(scenario).apply(0);
                Map<String, Long> before = counter.counts();
                for (int i = 0; i < COUNTED_CALLS; i++) {
                    call.call();
                }
                Map<String, Long> delta = Counter.minus(counter.counts(), before);
                // The probe and refresh run in the background every minute or five; a call of theirs that falls in
                // the window shows as a fraction, not as a whole request per call.
                double keyVault = delta.entrySet().stream().filter(e -> !e.getKey().equals("token")
                        && !e.getKey().equals("discovery")).mapToLong(Map.Entry::getValue).sum();
                out.printf(Locale.ROOT, "  %s %.3f %s", scenario.substring(3), keyVault / COUNTED_CALLS, delta);
            }
            out.println();
            for (int callers : List.of(1, options.callers())) {
                Result result = ClosedLoop.run("v2 Encrypt", callers, options.warmup(), options.duration(),
                        all.get("v2 Encrypt"));
                rows.add(String.format(Locale.ROOT, "%-6d %-7s %-9s %7d %9.0f %8.3f %8.3f %8.3f %7d", round, mode,
                        "Encrypt", callers, result.throughput(), result.millis(50), result.millis(99),
                        result.maxMillis(), result.errors()));
            }
            Result decrypt = ClosedLoop.run("v2 Decrypt", options.callers(), options.warmup(), options.duration(),
                    all.get("v2 Decrypt"));
            rows.add(String.format(Locale.ROOT, "%-6d %-7s %-9s %7d %9.0f %8.3f %8.3f %8.3f %7d", round, mode,
                    "Decrypt", options.callers(), decrypt.throughput(), decrypt.millis(50), decrypt.millis(99),
                    decrypt.maxMillis(), decrypt.errors()));
        }
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new TreeMap<>();
        for (String word : line.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                fields.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return fields;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Asks the test Key Vault how many requests of each operation it has answered so far. */
    private record Counter(Writer commands, BufferedReader answers) {

        Map<String, Long> counts() throws IOException {
            commands.write("counts\n");
            commands.flush();
            String line = answers.readLine();
            if (line == null || !line.startsWith("COUNTS")) {
                throw new IllegalStateException("the test Key Vault answered " + line + " to counts");
            }
            Map<String, Long> counts = new TreeMap<>();
            fields(line.substring("COUNTS".length())).forEach((k, v) -> counts.put(k, Long.parseLong(v)));
            return counts;
        }

        static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
            Map<String, Long> delta = new TreeMap<>();
            after.forEach((k, v) -> {
                long d = v - before.getOrDefault(k, 0L);
                if (d != 0) {
                    delta.put(k, d);
                }
            });
            return delta;
        }
    }
}
