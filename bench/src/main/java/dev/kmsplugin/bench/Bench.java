package dev.kmsplugin.bench;

import dev.kmsplugin.adapter.grpc.client.UnixSocketChannel;
import dev.kmsplugin.bench.load.ClosedLoop;
import dev.kmsplugin.bench.load.TimedCall;
import dev.kmsplugin.bench.load.Result;
import dev.kmsplugin.bench.targets.BackendCallCount;
import dev.kmsplugin.bench.targets.BackendFloor;
import dev.kmsplugin.bench.targets.GrpcScenarios;
import dev.kmsplugin.bench.targets.MetricsScrape;
import dev.kmsplugin.bench.targets.MinimalPluginProcess;
import dev.kmsplugin.bench.targets.NoopKmsServer;
import dev.kmsplugin.bench.targets.PluginProcess;
import dev.kmsplugin.bench.targets.ServerProcess;
import dev.kmsplugin.bench.targets.ThreadCpu;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

/**
 * The throughput and latency harness (docs/performance.md): measures the transport floor, the backend floor and
 * the real plugin over its unix socket in one run, and prints them in one table with the ratios the targets speak
 * of. Run it through {@code bench/run}.
 */
public final class Bench {

    private static final double TARGET_SHARE_OF_COMBINED_FLOOR = 0.80;
    private static final double TARGET_P99_MILLIS = 5.0;
    private static final Duration TARGET_WARMUP = Duration.ofSeconds(5);
    private static final double TARGET_SHARE_OF_MINIMAL = 0.90;
    private static final double TARGET_P99_OF_MINIMAL = 1.5;

    private final Options options;
    private final PrintStream out = System.out;
    private final List<Row> rows = new ArrayList<>();

    /** One line of the table; {@code cpuMicrosPerOp} is CPU time per operation by process, where measured. */
    private record Row(String target, Result result, String cpu) {
    }

    /**
     * Back-to-back round-trip measurements of the four targets under (nearly) the same load; the plugin and the
     * minimal plugin run adjacent, the minimal one first in odd rounds.
     */
    private record Round(int number, Row backend, Row transport, Row minimal, Row plugin, boolean minimalFirst,
            String load) {
        double combined() {
            return 1 / (1 / transport.result().throughput() + 1 / backend.result().throughput());
        }

        double share() {
            return plugin.result().throughput() / combined();
        }

        /** The plugin's round trips per second as a share of the minimal plugin's. */
        double shareOfMinimal() {
            return plugin.result().throughput() / minimal.result().throughput();
        }

        /** The plugin's round-trip p99 over the minimal plugin's. */
        double p99OverMinimal() {
            return plugin.result().millis(99) / minimal.result().millis(99);
        }
    }

    private final List<Round> rounds = new ArrayList<>();
    /** The server's CPU per operation by thread group, by "target scenario", from the scenario runs. */
    private final Map<String, List<String>> threadCpu = new LinkedHashMap<>();
    private final Map<String, MetricsScrape.Counters> scraped = new LinkedHashMap<>();

    private Optional<MetricsScrape.Counters> scrape(MetricsScrape metrics) throws InterruptedException {
        try {
            return Optional.of(metrics.read());
        } catch (IOException | RuntimeException e) {
            out.println("      (cannot read the plugin's /metrics: " + e + ")");
            return Optional.empty();
        }
    }

    /** The minimal plugin's JVM options: those given, and a flight recording when profiling. */
    private List<String> minimalJavaOptions(Path recording) {
        List<String> javaOptions = new ArrayList<>();
        if (!options.minimalJavaOptions().isEmpty()) {
            javaOptions.addAll(List.of(options.minimalJavaOptions().split("\\s+")));
        }
        if (options.profile()) {
            javaOptions.add("-XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true");
        }
        return javaOptions;
    }

    /** The scenarios against a server the harness started, once its Status says ok (its log named otherwise). */
    private static GrpcScenarios answering(UnixSocketChannel channel, ServerProcess server)
            throws InterruptedException {
        GrpcScenarios scenarios = new GrpcScenarios(channel.channel(), true);
        try {
            scenarios.awaitOk(Duration.ofSeconds(60));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; see " + server.log(), e);
        }
        return scenarios;
    }

    private Bench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parseOrExit(args, "bench");
        if (options == null) {
            return;
        }
        System.exit(new Bench(options).run());
    }

    private int run() throws Exception {
        Files.createDirectories(options.workDir());
        long[] runStart = cpuTicks();
        out.printf("kms-plugin benchmark, %s%n", Instant.now());
        out.printf("machine: %d CPUs (%s), %s %s; load average at start: %s%n", Runtime.getRuntime()
                .availableProcessors(), cpuModel(), System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), loadAverage());
        out.printf("run: %d callers, %s per scenario after %s warm-up, every call with a %d s deadline%n%n",
                options.callers(), seconds(options.duration()), seconds(options.warmup()),
                GrpcScenarios.CALL_DEADLINE.toSeconds());

        BackendCallCount.Counts counts;
        List<Long> rss = new CopyOnWriteArrayList<>();
        Optional<Result> soak = Optional.empty();
        int exitCode;
        int minimalExitCode;
        Path recording = options.workDir().resolve("plugin.jfr");
        Files.deleteIfExists(recording);
        Path minimalRecording = options.workDir().resolve("minimal.jfr");
        Files.deleteIfExists(minimalRecording);
        String javaOptions = (options.pluginJavaOptions() + (options.profile()
                ? " -XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true" : "")).trim();
        // All three targets stay open to the end (idle ones cost nothing), so the rounds below can measure them
        // back to back.
        out.println("[1/5] backend floor: SoftHSM wrap+unwrap in process, no gRPC (load " + loadAverage() + ")");
        try (BackendFloor floor = BackendFloor.open(options.workDir().resolve("floor-sim"), Telemetry.none())) {
            counts = BackendCallCount.measure(200);
            IntFunction<TimedCall> backendWork = caller -> floor.wrapUnwrap();
            rows.add(measure("backend", "wrap+unwrap", backendWork, OptionalLong.empty()));

            out.println("[2/5] transport floor: no-op gRPC server on a unix socket in this process (load "
                    + loadAverage() + ")");
            try (NoopKmsServer noop = NoopKmsServer.start(options.workDir().resolve("noop.sock"));
                    UnixSocketChannel noopChannel = UnixSocketChannel.open(noop.socket().toString(),
                            GrpcScenarios.CLIENT_THREAD)) {
                GrpcScenarios floorCalls = new GrpcScenarios(noopChannel.channel(), false);
                floorCalls.awaitOk(Duration.ofSeconds(10));
                warmUp(floorCalls);
                for (Map.Entry<String, IntFunction<TimedCall>> scenario : floorCalls.all().entrySet()) {
                    rows.add(measure("transport", scenario.getKey(), scenario.getValue(), OptionalLong.empty()));
                }

                out.println("[3/5] plugin: " + options.launcher() + " --backend=hsm-sim"
                        + (javaOptions.isEmpty() ? "" : ", KMS_PLUGIN_JAVA_OPTS=" + javaOptions) + " (load "
                        + loadAverage() + ")");
                try (PluginProcess plugin = PluginProcess.start(options.profile()
                        ? PluginProcess.profilingLauncher(options.launcher(), options.workDir()) : options.launcher(),
                        options.workDir(), javaOptions);
                        UnixSocketChannel channel = UnixSocketChannel.open(plugin.socket().toString(),
                            GrpcScenarios.CLIENT_THREAD)) {
                    GrpcScenarios scenarios = answering(channel, plugin);
                    warmUp(scenarios);
                    OptionalLong pid = OptionalLong.of(plugin.pid());
                    MetricsScrape metrics = new MetricsScrape(plugin.metricsPort());
                    for (Map.Entry<String, IntFunction<TimedCall>> scenario : scenarios.all().entrySet()) {
                        Optional<MetricsScrape.Counters> before = scrape(metrics);
                        rows.add(measure("plugin", scenario.getKey(), scenario.getValue(), pid));
                        Optional<MetricsScrape.Counters> after = scrape(metrics);
                        if (before.isPresent() && after.isPresent()) {
                            scraped.put(scenario.getKey(), after.get().minus(before.get()));
                        }
                    }

                    out.println("[4/5] minimal plugin: grpc-java and AES-256-GCM in its own SoftHSM token, its own"
                            + " JVM" + (options.minimalJavaOptions().isEmpty() ? "" : " with "
                            + options.minimalJavaOptions()) + " (load " + loadAverage() + ")");
                    try (MinimalPluginProcess minimal = MinimalPluginProcess.start(
                                options.workDir().resolve("minimal"), Duration.ofSeconds(60),
                                minimalJavaOptions(minimalRecording));
                            UnixSocketChannel minimalChannel = UnixSocketChannel.open(minimal.socket().toString(),
                                GrpcScenarios.CLIENT_THREAD)) {
                        // The same scenario code, client and answer checks as against the plugin; it serves v2 only,
                        // so only the round trip is warmed up and measured.
                        GrpcScenarios minimalCalls = answering(minimalChannel, minimal);
                        IntFunction<TimedCall> minimalRoundTrip = minimalCalls.all().get(GrpcScenarios.ROUND_TRIP);
                        warmUp(Map.of(GrpcScenarios.ROUND_TRIP, minimalRoundTrip), GrpcScenarios.ROUND_TRIP);
                        OptionalLong minimalPid = OptionalLong.of(minimal.pid());
                        rows.add(measure("minimal", GrpcScenarios.ROUND_TRIP, minimalRoundTrip, minimalPid));

                        // On a shared machine the load drifts between phases minutes apart; the ratios the targets
                        // speak of are therefore also measured in rounds of back-to-back runs, each under the same
                        // load. The plugin and the minimal plugin run adjacent, in alternating order.
                        if (options.rounds() > 0) {
                            out.printf("[5/5] %d rounds of backend floor, transport floor, minimal plugin and plugin"
                                    + " round trips, back to back (load %s)%n", options.rounds(), loadAverage());
                        }
                        long[] stealBefore = cpuTicks();
                        for (int round = 1; round <= options.rounds(); round++) {
                            Duration slice = roundDuration();
                            Row b = measure("backend", "wrap+unwrap", backendWork, OptionalLong.empty(), slice);
                            Row t = measure("transport", GrpcScenarios.ROUND_TRIP,
                                    floorCalls.all().get(GrpcScenarios.ROUND_TRIP), OptionalLong.empty(), slice);
                            boolean minimalFirst = round % 2 == 1;
                            Row m = null;
                            if (minimalFirst) {
                                m = measure("minimal", GrpcScenarios.ROUND_TRIP, minimalRoundTrip, minimalPid, slice);
                            }
                            Row p = measure("plugin", GrpcScenarios.ROUND_TRIP,
                                    scenarios.all().get(GrpcScenarios.ROUND_TRIP), pid, slice);
                            if (!minimalFirst) {
                                m = measure("minimal", GrpcScenarios.ROUND_TRIP, minimalRoundTrip, minimalPid, slice);
                            }
                            rounds.add(new Round(round, b, t, m, p, minimalFirst, stealSince(stealBefore)));
                            stealBefore = cpuTicks();
                        }
                        minimalChannel.close();
                        minimalExitCode = minimal.stop(Duration.ofSeconds(20));
                    }

                    if (!options.soak().isZero()) {
                        out.printf("      memory: %s of %s at %d callers, RSS sampled every 2 s%n",
                                seconds(options.soak()), GrpcScenarios.ROUND_TRIP, options.callers());
                        Thread sampler = new Thread(() -> {
                            while (!Thread.currentThread().isInterrupted()) {
                                plugin.residentKiB().ifPresent(rss::add);
                                try {
                                    Thread.sleep(2000);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        }, "rss-sampler");
                        sampler.setDaemon(true);
                        sampler.start();
                        soak = Optional.of(ClosedLoop.run(GrpcScenarios.ROUND_TRIP + " (soak)", options.callers(),
                                Duration.ZERO, options.soak(), scenarios.all().get(GrpcScenarios.ROUND_TRIP)));
                        sampler.interrupt();
                        sampler.join();
                        plugin.residentKiB().ifPresent(rss::add);
                    }
                    channel.close();
                    exitCode = plugin.stop(Duration.ofSeconds(20));
                }
            }
        }

        printTable();
        boolean clean = printSummary(counts, soak, rss, exitCode, minimalExitCode);
        if (options.profile() && Files.exists(recording)) {
            out.printf("%nprofile of the plugin:%n");
            Profile.summarise(recording, 15, out);
        }
        if (options.profile() && Files.exists(minimalRecording)) {
            out.printf("%nprofile of the minimal plugin, for comparison:%n");
            Profile.summarise(minimalRecording, 15, out);
        }
        out.printf("%nload average at end: %s (the harness's own callers count in it); CPU stolen by other VMs over"
                + " the run: %s%n", loadAverage(), stealSince(runStart));
        return clean ? 0 : 1;
    }

    /**
     * Runs every scenario's calls, unmeasured, before the first measured one, so that the first scenario of a
     * target does not pay for the JIT compilation of the code paths all of them share.
     */
    private void warmUp(GrpcScenarios scenarios) throws InterruptedException {
        warmUp(scenarios.all(), "all scenarios");
    }

    private void warmUp(Map<String, IntFunction<TimedCall>> scenarios, String what) throws InterruptedException {
        List<IntFunction<TimedCall>> all = new ArrayList<>(scenarios.values());
        Result warm = ClosedLoop.run("warm-up", options.callers(), Duration.ZERO, TARGET_WARMUP, caller -> {
            List<TimedCall> mine = new ArrayList<>();
            for (IntFunction<TimedCall> scenario : all) {
                mine.add(scenario.apply(caller));
            }
            int[] next = {0};
            return () -> mine.get(next[0]++ % mine.size()).call();
        });
        out.printf(Locale.ROOT, "      (warm-up: %s of %s, %d calls, errors %d, timeouts %d)%n",
                seconds(TARGET_WARMUP), what, warm.operations(), warm.errors(), warm.timeouts());
    }

    private Row measure(String target, String scenario, IntFunction<TimedCall> perCaller, OptionalLong otherPid)
            throws InterruptedException {
        return measure(target, scenario, perCaller, otherPid, options.duration());
    }

    /** Half the scenario duration, at least 3 s: four targets per round, several rounds. */
    private Duration roundDuration() {
        Duration half = options.duration().dividedBy(2);
        return half.compareTo(Duration.ofSeconds(3)) < 0 ? Duration.ofSeconds(3) : half;
    }

    private Row measure(String target, String scenario, IntFunction<TimedCall> perCaller, OptionalLong otherPid,
            Duration duration) throws InterruptedException {
        Duration ownBefore = cpu(ProcessHandle.current().pid());
        Duration otherBefore = otherPid.isPresent() ? cpu(otherPid.getAsLong()) : Duration.ZERO;
        // the server's threads in the scenario runs (the first run of each target and scenario), not the rounds
        String threadKey = target + " " + scenario;
        ThreadCpu threadsBefore = otherPid.isPresent() && !threadCpu.containsKey(threadKey)
                ? ThreadCpu.of(otherPid.getAsLong()) : null;
        Result result = ClosedLoop.run(scenario, options.callers(), options.warmup(), duration, perCaller);
        Duration own = cpu(ProcessHandle.current().pid()).minus(ownBefore);
        Duration other = otherPid.isPresent() ? cpu(otherPid.getAsLong()).minus(otherBefore) : Duration.ZERO;
        // CPU is counted over warm-up and measurement together; so are the operations it is divided by (estimated
        // from the measured rate), which keeps the per-operation figure honest.
        double operations = result.throughput() * (options.warmup().plus(duration).toNanos() / 1e9);
        if (threadsBefore != null) {
            threadCpu.put(threadKey, ThreadCpu.of(otherPid.getAsLong()).perOperation(threadsBefore, operations));
        }
        String cpu = otherPid.isPresent()
                ? String.format(Locale.ROOT, "%.0f+%.0f", micros(own) / operations, micros(other) / operations)
                : String.format(Locale.ROOT, "%.0f", micros(own) / operations);
        out.printf(Locale.ROOT, "      %-9s %-20s %10.0f ops/s  p99 %7.2f ms  errors %d  timeouts %d%s%n",
                target, scenario,
                result.throughput(), result.millis(99), result.errors(), result.timeouts(),
                result.firstFailure().map(f -> "  first: " + f).orElse(""));
        return new Row(target, result, cpu);
    }

    private void printTable() {
        out.println();
        out.printf("%-10s %-20s %9s %8s %8s %8s %8s %7s %8s %10s %11s%n", "target", "scenario", "ops/s", "p50 ms",
                "p90 ms", "p99 ms", "max ms", "errors", "timeouts", "vs floor", "CPU us/op");
        for (Row row : rows) {
            Result r = row.result();
            String ratio = "";
            if (row.target().equals("plugin") || row.target().equals("minimal")) {
                ratio = find("transport", r.name())
                        .map(floor -> percent(r.throughput() / floor.throughput()) + " T").orElse("");
            }
            out.printf(Locale.ROOT, "%-10s %-20s %9.0f %8.3f %8.3f %8.3f %8.2f %7d %8d %10s %11s%n", row.target(),
                    r.name(), r.throughput(), r.millis(50), r.millis(90), r.millis(99), r.maxMillis(), r.errors(),
                    r.timeouts(), ratio, row.cpu());
        }
        out.println("(vs floor: plugin or minimal plugin throughput as a share of the transport floor's for the same"
                + " calls; CPU us/op: harness process, or harness+plugin processes)");
    }

    private boolean printSummary(BackendCallCount.Counts counts, Optional<Result> soak, List<Long> rss,
            int exitCode, int minimalExitCode) {
        Result transport = find("transport", GrpcScenarios.ROUND_TRIP).orElseThrow();
        Result backend = find("backend", "wrap+unwrap").orElseThrow();
        Result plugin = find("plugin", GrpcScenarios.ROUND_TRIP).orElseThrow();
        Result minimal = find("minimal", GrpcScenarios.ROUND_TRIP).orElseThrow();
        double combined = 1 / (1 / transport.throughput() + 1 / backend.throughput());
        double share = plugin.throughput() / combined;
        double slower = Math.min(transport.throughput(), backend.throughput());

        out.println();
        out.println("v2 Encrypt+Decrypt round trips per second, from the scenario runs above:");
        out.printf(Locale.ROOT, "  transport floor %10.0f%n  backend floor   %10.0f%n", transport.throughput(),
                backend.throughput());
        out.printf(Locale.ROOT, "  combined floor  %10.0f   = 1 / (1/transport + 1/backend): both share the same"
                + " CPUs%n", combined);
        out.printf(Locale.ROOT, "  plugin          %10.0f   = %s of the combined floor%n", plugin.throughput(),
                percent(share));
        out.printf(Locale.ROOT, "  minimal plugin  %10.0f   = %s of the combined floor; the plugin does %s of its round"
                + " trips, p99 %.2fx its %.2f ms%n", minimal.throughput(), percent(minimal.throughput() / combined),
                percent(plugin.throughput() / minimal.throughput()), plugin.millis(99) / minimal.millis(99),
                minimal.millis(99));
        if (!rounds.isEmpty()) {
            out.println("  in back-to-back rounds (same load for all targets):");
            out.printf("    %-5s %9s %9s %9s %9s %7s %11s  %s%n", "round", "backend", "transport", "combined",
                    "plugin", "share", "plugin p99", "CPU stolen by other VMs");
            for (Round round : rounds) {
                out.printf(Locale.ROOT, "    %-5d %9.0f %9.0f %9.0f %9.0f %7s %8.2f ms  %s%n", round.number(),
                        round.backend().result().throughput(), round.transport().result().throughput(),
                        round.combined(), round.plugin().result().throughput(), percent(round.share()),
                        round.plugin().result().millis(99), round.load());
            }
            List<Double> shares = rounds.stream().map(Round::share).sorted().toList();
            share = shares.get(shares.size() / 2);
            out.printf(Locale.ROOT, "  median share of the rounds: %s%n", percent(share));
            printMinimalRounds();
        }
        out.printf(Locale.ROOT, "  plugin vs combined floor: %s (target >= %s): %s%n", percent(share),
                percent(TARGET_SHARE_OF_COMBINED_FLOOR), share >= TARGET_SHARE_OF_COMBINED_FLOOR ? "MET" : "MISSED");
        out.printf(Locale.ROOT, "  plugin overhead on top of the slower floor (%s): each round trip costs %.2fx"
                + " the slower floor's%n", transport.throughput() <= backend.throughput() ? "transport" : "backend",
                slower / plugin.throughput());
        out.printf(Locale.ROOT, "  plugin round-trip p99 %.2f ms at %d callers (target < %.0f ms): %s; backend floor"
                + " alone: p99 %.2f ms%n", plugin.millis(99), plugin.callers(), TARGET_P99_MILLIS,
                plugin.millis(99) < TARGET_P99_MILLIS ? "MET" : "MISSED", backend.millis(99));
        // Little's law for a closed loop: N callers always in flight, so mean latency = N / throughput. It bounds
        // the latency any target can reach at this concurrency from its throughput alone.
        out.printf(Locale.ROOT, "  closed loop, Little's law: mean latency = callers / throughput: plugin %.2f ms"
                + " (measured mean %.2f ms); at the combined floor it would be %.2f ms%n",
                1000.0 * plugin.callers() / plugin.throughput(), plugin.latencyNanos().getMean() / 1e6,
                1000.0 * plugin.callers() / combined);

        out.println();
        out.println("backend calls per apiserver operation (counted at the backend port, through the plugin's"
                + " EnvelopeService over the test kit's counting keys):");
        counts.perOperation().forEach((operation, perCall) -> out.printf(Locale.ROOT,
                "  %-12s wrap %.2f  unwrap %.2f%n", operation, perCall.get("wrap"),
                perCall.get("unwrap")));

        printThreadCpu();

        if (!scraped.isEmpty()) {
            out.println("backend calls per request, scraped from the running plugin's /metrics around each scenario"
                    + " (kms_backend_operation_duration_seconds_count / kms_request_duration_seconds_count, ok only):");
            scraped.forEach((scenario, c) -> out.printf(Locale.ROOT,
                    "  %-20s %8.0f requests  wrap %.3f  unwrap %.3f per request%n", scenario, c.requests(),
                    c.requests() == 0 ? 0 : c.wraps() / c.requests(), c.requests() == 0 ? 0 : c.unwraps() / c.requests()));
        }

        boolean clean = rows.stream().allMatch(row -> row.result().clean())
                && rounds.stream().allMatch(round -> round.backend().result().clean()
                        && round.transport().result().clean() && round.minimal().result().clean()
                        && round.plugin().result().clean());
        if (soak.isPresent()) {
            Result s = soak.get();
            clean &= s.clean();
            out.println();
            out.printf(Locale.ROOT, "memory over %s of round trips (%.0f/s, p99 %.2f ms, errors %d, timeouts %d):%n",
                    seconds(s.elapsed()), s.throughput(), s.millis(99), s.errors(), s.timeouts());
            if (rss.size() >= 4) {
                List<Long> first = rss.subList(0, rss.size() / 2);
                List<Long> second = rss.subList(rss.size() / 2, rss.size());
                long firstMax = first.stream().mapToLong(Long::longValue).max().orElse(0);
                long secondMax = second.stream().mapToLong(Long::longValue).max().orElse(0);
                double growth = (secondMax - firstMax) / (double) firstMax;
                out.printf(Locale.ROOT, "  plugin RSS MiB: %s%n", rss.stream().map(k -> String.format(Locale.ROOT,
                        "%.0f", k / 1024.0)).reduce((a, b) -> a + " " + b).orElse(""));
                out.printf(Locale.ROOT, "  max first half %.0f MiB, max second half %.0f MiB (%+.1f%%): %s%n",
                        firstMax / 1024.0, secondMax / 1024.0, growth * 100,
                        growth <= 0.05 ? "stable" : "GROWING");
            } else {
                out.println("  too few RSS samples: run a longer --soak");
            }
        }
        out.println();
        out.printf("errors and timeouts: %s; plugin exit code after SIGTERM: %d; minimal plugin: %s%n",
                clean ? "none" : "SOME (see the table)", exitCode, minimalExitCode < 0
                        ? "did not exit within 20 s of SIGTERM, killed" : "exited with " + minimalExitCode
                        + " (the JVM's default on SIGTERM is 143)");
        return clean && exitCode == 0 && minimalExitCode >= 0;
    }

    /** Where the plugin's and the minimal plugin's CPU went per round trip, by thread group. */
    private void printThreadCpu() {
        boolean header = false;
        for (String target : List.of("plugin", "minimal")) {
            List<String> lines = threadCpu.getOrDefault(target + " " + GrpcScenarios.ROUND_TRIP, List.of());
            if (lines.isEmpty()) {
                continue;
            }
            if (!header) {
                out.printf("%nserver CPU per %s by thread group, user + system µs (/proc/PID/task, the scenario"
                        + " runs above; native code and the kernel included):%n", GrpcScenarios.ROUND_TRIP);
                header = true;
            }
            out.println("  " + (target.equals("plugin") ? "plugin" : "minimal plugin") + ":");
            lines.forEach(line -> out.println("    " + line));
        }
    }

    /** The plugin against the minimal SoftHSM plugin, round by round, and the medians the targets speak of. */
    private void printMinimalRounds() {
        out.println("  plugin vs the minimal SoftHSM plugin in the same rounds (adjacent, order alternating):");
        out.printf("    %-5s %-14s %9s %9s %7s %11s %11s %9s %8s%n", "round", "first", "minimal", "plugin", "share",
                "minimal p99", "plugin p99", "p99 ratio", "errors");
        long errors = 0;
        for (Round round : rounds) {
            Result m = round.minimal().result();
            Result p = round.plugin().result();
            long roundErrors = m.errors() + m.timeouts() + p.errors() + p.timeouts();
            errors += roundErrors;
            out.printf(Locale.ROOT, "    %-5d %-14s %9.0f %9.0f %7s %8.2f ms %8.2f ms %8.2fx %8d%n", round.number(),
                    round.minimalFirst() ? "minimal" : "plugin", m.throughput(), p.throughput(),
                    percent(round.shareOfMinimal()), m.millis(99), p.millis(99), round.p99OverMinimal(), roundErrors);
        }
        double share = median(rounds, Round::shareOfMinimal);
        double p99 = median(rounds, Round::p99OverMinimal);
        out.printf(Locale.ROOT, "  plugin vs minimal plugin, median share of round trips/s: %s (target >= %s): %s%n",
                percent(share), percent(TARGET_SHARE_OF_MINIMAL), share >= TARGET_SHARE_OF_MINIMAL ? "MET" : "MISSED");
        out.printf(Locale.ROOT, "  plugin vs minimal plugin, median p99 ratio: %.2fx (target <= %.1fx): %s%n", p99,
                TARGET_P99_OF_MINIMAL, p99 <= TARGET_P99_OF_MINIMAL ? "MET" : "MISSED");
        out.printf(Locale.ROOT, "  plugin and minimal plugin errors and timeouts in these rounds: %d (target 0): %s%n",
                errors, errors == 0 ? "MET" : "MISSED");
    }

    /** The median of {@code field} over {@code items}; of an even count, the mean of the middle two. */
    public static <T> double median(List<T> items, ToDoubleFunction<T> field) {
        double[] sorted = items.stream().mapToDouble(field).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private Optional<Result> find(String target, String scenario) {
        return rows.stream().filter(row -> row.target().equals(target) && row.result().name().equals(scenario))
                .map(Row::result).findFirst();
    }

    private static Duration cpu(long pid) {
        return ProcessHandle.of(pid).flatMap(handle -> handle.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    private static double micros(Duration duration) {
        return duration.toNanos() / 1e3;
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.0f s", duration.toMillis() / 1000.0);
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.US_ASCII).stream()
                    .filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).strip()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    /** {total, steal} jiffies of all CPUs, from the first line of /proc/stat. */
    static long[] cpuTicks() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(fields.length, 9); i++) {
                total += Long.parseLong(fields[i]);
            }
            return new long[] {total, fields.length > 8 ? Long.parseLong(fields[8]) : 0};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** The share of CPU time the hypervisor gave to other guests since {@code before}: noisy neighbours. */
    static String stealSince(long[] before) {
        long[] now = cpuTicks();
        long total = now[0] - before[0];
        return total <= 0 ? "unknown" : percent((now[1] - before[1]) / (double) total);
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
