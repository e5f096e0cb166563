package dev.kmsplugin.bench.storage;

import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import dev.kmsplugin.bench.Bench;
import dev.kmsplugin.bench.Profile;
import dev.kmsplugin.bench.targets.PluginProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run storage-audit}: the packaged {@code kms-plugin storage audit} against a real etcd on 127.0.0.1,
 * beside the floor measured in the same run: {@code etcdctl get --prefix /registry -w protobuf > /dev/null} over the
 * same data, i.e. etcd serving every value over TLS to a client that does nothing with it.
 *
 * <p>At each size (10,000 values, then the rest up to {@code --values}) the floor and the audit alternate
 * {@code --repeat} times each; each run is one process, timed by wall clock here and its peak RSS read from
 * {@code /usr/bin/time -f %M}. The audit's fixed cost (JVM start, simulator login, TLS handshake, one empty range
 * read) is measured apart, against an empty prefix, so that the scan rate can be told from start-up.
 */
public final class AuditBench {

    static final String USAGE = """
            usage: bench/run storage-audit [--values=100000] [--repeat=3] [--profile]
              --values   values in etcd for the last measurement (the first is at 10,000, or at --values if smaller)
              --repeat   floor and audit runs at each size, alternating; medians are reported
              --profile  one more audit at the largest size under JFR; prints its top frames""";

    private static final int FIRST_SIZE = 10_000;
    private static final int LOAD_BATCH = 2_000;
    private static final double TARGET_SHARE_OF_FLOOR = 0.5;
    /** "The same RSS at both sizes": within 10%, the run-to-run noise of a JVM's peak RSS. */
    private static final double TARGET_RSS_GROWTH = 0.10;
    private static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");
    private static final Path TIME = Path.of("/usr/bin/time");
    private static final Pattern NUMBER_FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*(-?\\d+)");

    private final PrintStream out = System.out;
    private final Path workDir;
    private final Path launcher;
    private final int values;
    private final int repeat;
    private final boolean profile;
    private final Path simDir;

    /** One process run: wall time, peak RSS, exit status. */
    record Run(double seconds, long rssKiB, double cpuSeconds, int exit) {
    }

    /** The medians at one size. */
    record Size(int values, Run floor, Run audit) {
        double floorRate() {
            return values / floor.seconds();
        }

        double auditRate() {
            return values / audit.seconds();
        }
    }

    private AuditBench(Path workDir, Path launcher, int values, int repeat, boolean profile) {
        this.workDir = workDir;
        this.launcher = launcher;
        this.values = values;
        this.repeat = repeat;
        this.profile = profile;
        this.simDir = workDir.resolve("audit-sim");
    }

    public static void main(String[] args) throws Exception {
        Path workDir = null;
        Path launcher = null;
        int values = 100_000;
        int repeat = 3;
        boolean profile = false;
        try {
            for (String arg : args) {
                if (arg.startsWith("--work-dir=")) {
                    workDir = Path.of(arg.substring("--work-dir=".length()));
                } else if (arg.startsWith("--launcher=")) {
                    launcher = Path.of(arg.substring("--launcher=".length()));
                } else if (arg.startsWith("--values=")) {
                    values = Integer.parseInt(arg.substring("--values=".length()));
                } else if (arg.startsWith("--repeat=")) {
                    repeat = Integer.parseInt(arg.substring("--repeat=".length()));
                } else if (arg.equals("--profile")) {
                    profile = true;
                } else if (arg.equals("--help") || arg.equals("-h")) {
                    System.out.println(USAGE);
                    return;
                } else {
                    throw new IllegalArgumentException("unknown argument " + arg);
                }
            }
            if (workDir == null || launcher == null) {
                throw new IllegalArgumentException("--work-dir and --launcher are set by bench/run");
            }
            // Bounded: at most a million values (about 2 GiB in etcd, its default quota) and 20 runs per size.
            if (values < 1 || values > 1_000_000 || repeat < 1 || repeat > 20) {
                throw new IllegalArgumentException("--values must be 1..1000000 and --repeat 1..20");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("bench storage-audit: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        System.exit(new AuditBench(workDir, launcher, values, repeat, profile).run());
    }

    private int run() throws Exception {
        for (Path tool : List.of(launcher, ETCDCTL, TIME)) {
            if (!Files.isExecutable(tool)) {
                throw new IllegalStateException(tool + " is missing (the launcher: ./mvnw -Pbench -DskipTests install;"
                        + " etcdctl: apt-get install etcd-client; time: apt-get install time)");
            }
        }
        Files.createDirectories(workDir);
        out.printf("kms-plugin storage audit benchmark, %s%n", Instant.now());
        out.printf("machine: %d CPUs, %s %s; load average at start: %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"), loadAverage());

        Map<String, String> keyIds = simulator();
        out.printf("simulator: key versions %s%n", keyIds.keySet());
        StoredValues stored = new StoredValues(keyIds);
        List<Integer> sizes = values > FIRST_SIZE ? List.of(FIRST_SIZE, values) : List.of(values);
        List<Size> results = new ArrayList<>();
        List<Run> empty = new ArrayList<>();
        boolean clean = true;
        try (EtcdProcess etcd = EtcdProcess.start()) {
            out.printf("etcd: %s (etcd %s, TLS with client certificates)%n", etcd.endpoint(), etcdVersion());

            out.printf("%nfixed cost: audit of an empty prefix (--etcd-prefix=/empty), %d runs (load %s)%n", repeat,
                    loadAverage());
            for (int r = 0; r < repeat; r++) {
                Run run = audit(launcher, etcd, "/empty", 0, workDir.resolve("audit-empty.json"), "");
                empty.add(run);
                clean &= run.exit() == 0;
                print("audit", 0, run);
            }

            int loaded = 0;
            for (int size : sizes) {
                long start = System.nanoTime();
                long bytes = 0;
                while (loaded < size) {
                    int to = Math.min(size, loaded + LOAD_BATCH);
                    Map<byte[], byte[]> batch = stored.range(loaded, to);
                    for (Map.Entry<byte[], byte[]> e : batch.entrySet()) {
                        bytes += e.getKey().length + e.getValue().length;
                    }
                    etcd.putAll(batch);
                    loaded = to;
                }
                out.printf(Locale.ROOT, "%nloaded values %d..%d (%.0f MiB of keys and values) in %.1f s; etcd counts %d"
                        + " under /registry (load %s)%n", size == sizes.get(0) ? 0 : sizes.get(0), size,
                        bytes / 1048576.0, (System.nanoTime() - start) / 1e9, count(etcd), loadAverage());
                List<Run> floors = new ArrayList<>();
                List<Run> audits = new ArrayList<>();
                for (int r = 0; r < repeat; r++) {
                    Run floor = floor(etcd);
                    floors.add(floor);
                    clean &= floor.exit() == 0;
                    print("floor", size, floor);
                    Path report = workDir.resolve("audit-" + size + ".json");
                    Run audit = audit(launcher, etcd, "/registry", size, report, "");
                    audits.add(audit);
                    clean &= audit.exit() == 0;
                    print("audit", size, audit);
                }
                results.add(new Size(size, median(floors), median(audits)));
            }

            if (profile) {
                Path recording = workDir.resolve("audit.jfr");
                Files.deleteIfExists(recording);
                out.printf("%nprofile: one audit of %d values under JFR (settings=profile)%n", loaded);
                Run run = audit(PluginProcess.profilingLauncher(launcher, workDir), etcd, "/registry", loaded,
                        workDir.resolve("audit-profile.json"),
                        "-XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true");
                print("audit+jfr", loaded, run);
                if (Files.exists(recording)) {
                    out.printf("recording: %s (jfr print --events jdk.ExecutionSample %s)%n", recording, recording);
                    Profile.summarise(recording, 20, out);
                }
            }
        }

        Run fixed = median(empty);
        summary(results, fixed);
        out.printf("%nload average at end: %s; runs that failed or reported wrong counts: %s%n", loadAverage(),
                clean ? "none" : "SOME (see above): the figures are not valid");
        return clean ? 0 : 1;
    }

    private void summary(List<Size> results, Run fixed) {
        out.printf("%nmedians of %d runs each (values/s = values / wall time of the whole process; RSS = peak, KiB"
                + " from /usr/bin/time):%n", repeat);
        out.printf("%8s | %12s %12s %7s | %12s %12s | %s%n", "values", "floor val/s", "audit val/s", "ratio",
                "floor RSS", "audit RSS", "CPU s floor, audit | audit wall s (of which fixed cost)");
        for (Size s : results) {
            out.printf(Locale.ROOT, "%8d | %12.0f %12.0f %7.2f | %8.0f MiB %8.0f MiB | %.2f, %.2f | %.2f (%.2f)%n",
                    s.values(), s.floorRate(), s.auditRate(), s.auditRate() / s.floorRate(),
                    s.floor().rssKiB() / 1024.0, s.audit().rssKiB() / 1024.0, s.floor().cpuSeconds(),
                    s.audit().cpuSeconds(), s.audit().seconds(), fixed.seconds());
        }
        out.printf(Locale.ROOT, "audit fixed cost (empty prefix): %.2f s wall, %.2f s CPU, peak RSS %.0f MiB%n",
                fixed.seconds(), fixed.cpuSeconds(), fixed.rssKiB() / 1024.0);
        for (Size s : results) {
            double scan = s.audit().seconds() - fixed.seconds();
            out.printf(Locale.ROOT, "  at %d values: fixed cost is %.0f%% of the audit's time; scan alone %s%n",
                    s.values(), 100 * fixed.seconds() / s.audit().seconds(),
                    scan > 0 ? String.format(Locale.ROOT, "%.0f values/s", s.values() / scan) : "not measurable");
        }
        Size last = results.get(results.size() - 1);
        double share = last.auditRate() / last.floorRate();
        out.printf(Locale.ROOT, "%naudit vs floor at %d values: %.2f of the floor's rate (target >= %.2f): %s%n",
                last.values(), share, TARGET_SHARE_OF_FLOOR, share >= TARGET_SHARE_OF_FLOOR ? "MET" : "MISSED");
        if (results.size() > 1) {
            Size first = results.get(0);
            double growth = last.audit().rssKiB() / (double) first.audit().rssKiB();
            out.printf(Locale.ROOT, "audit peak RSS %d / %d values: %.2f (target: the same, within %.0f%%): %s%n",
                    last.values(), first.values(), growth, TARGET_RSS_GROWTH * 100,
                    Math.abs(growth - 1) <= TARGET_RSS_GROWTH ? "MET" : "MISSED");
        }
    }

    /** {@code kms-plugin sim init} and one {@code rotate}: versions 1 and 2; returns their key_ids by version. */
    private Map<String, String> simulator() throws IOException, InterruptedException {
        Path listing = workDir.resolve("sim-list.txt");
        for (String verb : List.of("init", "rotate", "list")) {
            ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "sim", verb, "--sim-dir=" + simDir)
                    .redirectErrorStream(true).redirectOutput(listing.toFile());
            PluginProcess.launcherEnvironment(builder, "");
            Process process = builder.start();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("kms-plugin sim " + verb + " failed: " + Files.readString(listing));
            }
        }
        Map<String, String> keyIds = new LinkedHashMap<>();
        for (String line : Files.readAllLines(listing)) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length >= 3 && fields[0].matches("[0-9]+") && fields[fields.length - 1].matches("[0-9a-f]{64}")) {
                keyIds.put(fields[0], fields[fields.length - 1]);
            }
        }
        return keyIds;
    }

    private Run floor(EtcdProcess etcd) throws IOException, InterruptedException {
        List<String> command = List.of(ETCDCTL.toString(), "--endpoints=" + etcd.endpoint(),
                "--cacert=" + etcd.caCert(), "--cert=" + etcd.clientCert(), "--key=" + etcd.clientKey(),
                "--command-timeout=300s", "get", "--prefix", "/registry", "-w", "protobuf");
        ProcessBuilder builder = new ProcessBuilder().redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("ETCDCTL_API", "3");
        return timed(builder, command, workDir.resolve("floor.err"));
    }

    private Run audit(Path launcherScript, EtcdProcess etcd, String prefix, int expected, Path report,
            String javaOptions) throws IOException, InterruptedException {
        List<String> command = List.of(launcherScript.toString(), "storage", "audit",
                "--etcd-endpoints=" + etcd.endpoint(), "--etcd-cacert=" + etcd.caCert(),
                "--etcd-cert=" + etcd.clientCert(), "--etcd-key=" + etcd.clientKey(), "--etcd-prefix=" + prefix,
                "--backend=hsm-sim", "--sim-dir=" + simDir, "--output=json");
        ProcessBuilder builder = new ProcessBuilder().redirectOutput(report.toFile());
        PluginProcess.launcherEnvironment(builder, javaOptions);
        Run run = timed(builder, command, workDir.resolve("audit.err"));
        if (run.exit() == 0 && !checked(report, expected)) {
            return new Run(run.seconds(), run.rssKiB(), run.cpuSeconds(), -2);
        }
        return run;
    }

    /** The process under /usr/bin/time, which writes the peak RSS (KiB) to its own file. */
    private Run timed(ProcessBuilder builder, List<String> command, Path stderr)
            throws IOException, InterruptedException {
        Path rss = workDir.resolve("rss.txt");
        Files.deleteIfExists(rss);
        List<String> wrapped = new ArrayList<>(List.of(TIME.toString(), "-f", "%M %U %S", "-o", rss.toString()));
        wrapped.addAll(command);
        builder.command(wrapped).redirectError(stderr.toFile());
        long start = System.nanoTime();
        Process process = builder.start();
        if (!process.waitFor(600, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            throw new IllegalStateException(command.get(0) + " took more than 600 s");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int exit = process.exitValue();
        if (exit != 0) {
            out.printf("      %s exited %d: %s%n", command.get(0), exit, tail(stderr));
        }
        long kib = -1;
        double cpu = -1;
        for (String line : Files.readAllLines(rss)) {
            String[] fields = line.strip().split(" ");
            if (fields.length == 3 && fields[0].matches("[0-9]+")) {
                kib = Long.parseLong(fields[0]);
                cpu = Double.parseDouble(fields[1]) + Double.parseDouble(fields[2]);
            }
        }
        return new Run(seconds, kib, cpu, exit);
    }

    /** The audit's report must count every value once, all attributed: a failed audit is not a measurement. */
    private boolean checked(Path report, long expected) throws IOException {
        Map<String, Long> numbers = new LinkedHashMap<>();
        Matcher m = NUMBER_FIELD.matcher(Files.readString(report));
        while (m.find()) {
            numbers.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
        }
        Map<String, Long> want = Map.of("total", expected, "unencrypted", StoredValues.identities(expected),
                "unreadable", 0L, "unattributed", 0L, "unknown_version", 0L);
        for (Map.Entry<String, Long> field : want.entrySet()) {
            if (!field.getValue().equals(numbers.get(field.getKey()))) {
                out.printf("      audit report %s: %s is %s, expected %d%n", report, field.getKey(),
                        numbers.get(field.getKey()), field.getValue());
                return false;
            }
        }
        return true;
    }

    private long count(EtcdProcess etcd) throws IOException, InterruptedException {
        String text = etcdctl(etcd, "get", "--prefix", "/registry", "--limit=1", "-w", "json");
        Matcher m = Pattern.compile("\"count\"\\s*:\\s*(\\d+)", Pattern.CASE_INSENSITIVE).matcher(text);
        if (m.find()) {
            return Long.parseLong(m.group(1));
        }
        out.println("      (etcdctl get --limit=1 said: " + text.strip() + ")");
        return -1;
    }

    private String etcdVersion() {
        try {
            Process p = new ProcessBuilder("/usr/bin/etcd", "--version").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return text.lines().findFirst().orElse("?").replace("etcd Version: ", "");
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    private String etcdctl(EtcdProcess etcd, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ETCDCTL.toString(), "--endpoints=" + etcd.endpoint(),
                "--cacert=" + etcd.caCert(), "--cert=" + etcd.clientCert(), "--key=" + etcd.clientKey()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        return text;
    }

    private void print(String what, int size, Run run) {
        out.printf(Locale.ROOT, "      %-9s %7d values %7.2f s %9.0f values/s  CPU %5.2f s  peak RSS %6.0f MiB  exit %d%n",
                what, size, run.seconds(), run.seconds() > 0 ? size / run.seconds() : 0, run.cpuSeconds(),
                run.rssKiB() / 1024.0, run.exit());
    }

    /** Median wall time and, separately, median RSS; exit is the worst. */
    private static Run median(List<Run> runs) {
        return new Run(Bench.median(runs, Run::seconds), (long) Bench.median(runs, r -> r.rssKiB()),
                Bench.median(runs, Run::cpuSeconds),
                runs.stream().mapToInt(Run::exit).filter(e -> e != 0).findFirst().orElse(0));
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.length() > 600 ? text.substring(text.length() - 600) : text;
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
