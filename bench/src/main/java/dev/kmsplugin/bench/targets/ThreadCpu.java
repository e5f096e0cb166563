package dev.kmsplugin.bench.targets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of a process by thread group, user and system apart, from {@code /proc/PID/task/TID/stat}: where a server's
 * time goes between its event loop, its call pool and the JVM's own threads, native code (PKCS#11, the kernel)
 * included, which a JFR execution profile does not see. Threads are grouped by name without their trailing number
 * ({@code kms-grpc-call-17} and {@code kms-grpc-call-3} are {@code kms-grpc-call}). Linux counts in clock ticks of
 * 10 ms (USER_HZ 100), so a short window or a quiet thread reads as 0; a thread that ended inside the window is no
 * longer listed, and its time is missing from its group.
 */
public final class ThreadCpu {

    private static final double MICROS_PER_TICK = 10_000;

    /** Ticks by thread group: user, system, and how many threads of the group were seen. */
    private final Map<String, long[]> groups;

    private ThreadCpu(Map<String, long[]> groups) {
        this.groups = groups;
    }

    /** The process's threads now; empty where /proc is not readable (another OS, the process gone). */
    public static ThreadCpu of(long pid) {
        Map<String, long[]> groups = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = new String(Files.readAllBytes(task.resolve("stat")), StandardCharsets.ISO_8859_1);
                } catch (IOException ended) {
                    continue; // the thread ended between listing and reading
                }
                // pid (comm) state ...: comm may hold spaces and parentheses, so cut at the last ')'
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] fields = stat.substring(close + 2).split(" ");
                long[] sums = groups.computeIfAbsent(group(stat.substring(open + 1, close)), name -> new long[3]);
                sums[0] += Long.parseLong(fields[11]); // utime, field 14 of stat
                sums[1] += Long.parseLong(fields[12]); // stime, field 15
                sums[2]++;
            }
        } catch (IOException | RuntimeException unreadable) {
            return new ThreadCpu(Map.of());
        }
        return new ThreadCpu(groups);
    }

    /** The thread-group name: the thread name without a trailing number and its separator. */
    static String group(String threadName) {
        return threadName.replaceFirst("[-#_ ]?\\d+$", "");
    }

    /**
     * Lines of {@code user + sys µs per operation} by thread group, from {@code before} to this snapshot, largest
     * first, for the groups with at least 2% of the process's time; empty when nothing was measured.
     */
    public List<String> perOperation(ThreadCpu before, double operations) {
        List<Group> deltas = new ArrayList<>();
        for (Map.Entry<String, long[]> group : groups.entrySet()) {
            long[] now = group.getValue();
            long[] was = before.groups.getOrDefault(group.getKey(), new long[3]);
            deltas.add(new Group(group.getKey(), now[0] - was[0], now[1] - was[1], now[2]));
        }
        long user = deltas.stream().mapToLong(Group::user).sum();
        long total = deltas.stream().mapToLong(Group::total).sum();
        List<String> lines = new ArrayList<>();
        if (total == 0 || operations <= 0) {
            return lines;
        }
        lines.add(String.format(Locale.ROOT, "%-24s      %6.0f + %-4.0f", "all threads", user * MICROS_PER_TICK
                / operations, (total - user) * MICROS_PER_TICK / operations));
        deltas.sort(Comparator.comparingLong(Group::total).reversed());
        for (Group group : deltas) {
            if (group.total() * 50 < total) {
                break;
            }
            lines.add(String.format(Locale.ROOT, "%-24s x%-3d %6.0f + %-4.0f (%2.0f%%)", group.name(),
                    group.threads(), group.user() * MICROS_PER_TICK / operations,
                    group.system() * MICROS_PER_TICK / operations, 100.0 * group.total() / total));
        }
        return lines;
    }

    /** One thread group's ticks over a window, and how many of its threads were seen at its end. */
    private record Group(String name, long user, long system, long threads) {
        long total() {
            return user + system;
        }
    }
}
