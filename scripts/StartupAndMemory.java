import dev.kmsplugin.adapter.grpc.client.KmsClient;
import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the packaged launcher as kube-apiserver meets it: time from process start to the first successful v2
 * Status over the socket, resident memory (VmRSS of the JVM, which the launcher execs into) at idle, and peak
 * resident memory while THREADS callers encrypt and decrypt on one connection, as the apiserver multiplexes its calls.
 * Run by scripts/measure-startup on the classpath of the image's own jars, so the client is the plugin's.
 *
 *   startup RUNS SOCKET LOG -- LAUNCHER ARGS...
 *   load SECONDS THREADS SOCKET LOG -- LAUNCHER ARGS...
 */
public class StartupAndMemory {

    public static void main(String[] args) throws Exception {
        int dashes = Arrays.asList(args).indexOf("--");
        List<String> command = Arrays.asList(args).subList(dashes + 1, args.length);
        warmUp(Path.of(args[dashes - 2]));
        if (args[0].equals("startup")) {
            startup(Integer.parseInt(args[1]), Path.of(args[2]), Path.of(args[3]), command);
        } else {
            load(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]), Path.of(args[4]), command);
        }
    }

    /** Loads and compiles this JVM's client path first, so the measured runs time the plugin, not the harness. */
    private static void warmUp(Path socket) {
        for (int i = 0; i < 20; i++) {
            try (KmsClient client = KmsClient.connect(ListenAddress.parse("unix://" + socket), false)) {
                client.status(Duration.ofMillis(200));
            } catch (RuntimeException expected) {
                // nothing listens yet
            }
        }
    }

    record Started(Process process, long nanos) {
    }

    private static Started start(List<String> command, Path socket, Path log) throws Exception {
        Files.deleteIfExists(socket);
        long begin = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        ListenAddress address = ListenAddress.parse("unix://" + socket);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the plugin exited with " + process.exitValue() + "; see " + log);
            }
            if (System.nanoTime() - begin > TimeUnit.SECONDS.toNanos(60)) {
                process.destroyForcibly();
                throw new IllegalStateException("no Status within 60 s; see " + log);
            }
            if (Files.exists(socket)) {
                try (KmsClient client = KmsClient.connect(address, false)) {
                    if (client.status(Duration.ofSeconds(5)).getHealthz().equals("ok")) {
                        return new Started(process, System.nanoTime() - begin);
                    }
                } catch (RuntimeException notYet) {
                    // listening but not serving yet
                }
            }
            Thread.sleep(2);
        }
    }

    private static long rssKib(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + process.pid());
    }

    private static void stop(Process process) throws Exception {
        process.destroy(); // SIGTERM: drains and exits 0
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the plugin did not exit within 30 s of SIGTERM");
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void startup(int runs, Path socket, Path log, List<String> command) throws Exception {
        List<Double> seconds = new ArrayList<>();
        List<Double> idleMib = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Started started = start(command, socket, log);
            double s = started.nanos() / 1e9;
            Thread.sleep(3000);
            double rss = rssKib(started.process()) / 1024.0;
            stop(started.process());
            seconds.add(s);
            idleMib.add(rss);
            System.out.printf("run %d: start to first v2 Status %.3f s, idle RSS %.1f MiB%n", run, s, rss);
        }
        System.out.printf("median of %d: start to first v2 Status %.3f s (min %.3f, max %.3f), idle RSS %.1f MiB%n",
                runs, median(seconds), seconds.stream().mapToDouble(d -> d).min().orElseThrow(),
                seconds.stream().mapToDouble(d -> d).max().orElseThrow(), median(idleMib));
    }

    private static void load(int seconds, int threads, Path socket, Path log, List<String> command) throws Exception {
        Started started = start(command, socket, log);
        Process plugin = started.process();
        Thread.sleep(3000);
        double idle = rssKib(plugin) / 1024.0;
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong calls = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<Thread> callers = new ArrayList<>();
        try (KmsClient client = KmsClient.connect(ListenAddress.parse("unix://" + socket), false)) {
            String keyId = client.status(Duration.ofSeconds(5)).getKeyId();
            for (int t = 0; t < threads; t++) {
                Thread caller = new Thread(() -> {
                    byte[] dek = new byte[32];
                    while (running.get()) {
                        try {
                            String uid = UUID.randomUUID().toString();
                            var encrypted = client.encrypt(dek, uid, Duration.ofSeconds(10));
                            client.decrypt(encrypted.getCiphertext().toByteArray(), keyId, uid,
                                    Duration.ofSeconds(10));
                            calls.addAndGet(2);
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                        }
                    }
                });
                caller.start();
                callers.add(caller);
            }
            long peak = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                peak = Math.max(peak, rssKib(plugin));
                Thread.sleep(100);
            }
            running.set(false);
            for (Thread caller : callers) {
                caller.join();
            }
            double after = rssKib(plugin) / 1024.0;
            System.out.printf("idle RSS %.1f MiB; %d-way load for %d s: %d calls (%.0f/s), %d failed, peak RSS %.1f MiB,"
                    + " RSS after %.1f MiB%n", idle, threads, seconds, calls.get(), calls.get() / (double) seconds,
                    failures.get(), peak / 1024.0, after);
        } finally {
            stop(plugin);
        }
    }
}
