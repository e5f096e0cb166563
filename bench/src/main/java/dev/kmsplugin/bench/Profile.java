package dev.kmsplugin.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a flight recording's CPU samples ({@code jdk.ExecutionSample}) the way {@code jfr print --events
 * jdk.ExecutionSample} output would be read by hand: which methods were on top of the stack, and which code area
 * (package) they belong to.
 */
public final class Profile {

    private Profile() {
    }

    public static void summarise(Path recording, int top, PrintStream out) throws IOException {
        Map<String, Integer> methods = new HashMap<>();
        Map<String, Integer> areas = new HashMap<>();
        Map<String, Integer> ownCallers = new HashMap<>();
        Map<String, Integer> regexCallers = new HashMap<>();
        Map<String, Integer> nativeMethods = new HashMap<>();
        Map<String, Integer> jobs = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Long> allocations = new HashMap<>();
        Map<String, Long> allocationSites = new HashMap<>();
        long allocated = 0;
        int collections = 0;
        Duration paused = Duration.ZERO;
        Duration longestPause = Duration.ZERO;
        int samples = 0;
        int nativeSamples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                var event = file.readEvent();
                String kind = event.getEventType().getName();
                if (kind.equals("jdk.GarbageCollection")) {
                    collections++;
                    Duration pause = event.getDuration("sumOfPauses");
                    paused = paused.plus(pause);
                    longestPause = pause.compareTo(longestPause) > 0 ? pause : longestPause;
                    continue;
                }
                RecordedStackTrace stack = event.getStackTrace();
                if (kind.equals("jdk.ObjectAllocationSample") && stack != null) {
                    long weight = event.getLong("weight");
                    allocated += weight;
                    allocations.merge(job(stack), weight, Long::sum);
                    RecordedFrame site = stack.getFrames().isEmpty() ? null : stack.getFrames().get(0);
                    if (site != null) {
                        allocationSites.merge(event.getClass("objectClass").getName() + " in "
                                + site.getMethod().getType().getName() + "." + site.getMethod().getName(), weight,
                                Long::sum);
                    }
                    continue;
                }
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                RecordedFrame frame = stack.getFrames().get(0);
                String type = frame.getMethod().getType().getName();
                String method = type + "." + frame.getMethod().getName();
                if (kind.equals("jdk.NativeMethodSample")) {
                    nativeSamples++;
                    nativeMethods.merge(method, 1, Integer::sum);
                    continue;
                }
                if (!kind.equals("jdk.ExecutionSample")) {
                    continue;
                }
                samples++;
                methods.merge(method, 1, Integer::sum);
                areas.merge(area(type), 1, Integer::sum);
                jobs.merge(job(stack), 1, Integer::sum);
                var thread = event.getThread("sampledThread");
                threads.merge(thread == null ? "?" : thread.getJavaName().replaceAll("[-#]?[0-9]+$", "-N"), 1,
                        Integer::sum);
                String own = firstOwnFrame(stack);
                ownCallers.merge(own, 1, Integer::sum);
                if (type.startsWith("java.util.regex")) {
                    regexCallers.merge(own, 1, Integer::sum);
                }
            }
        }
        out.printf("%nCPU samples of the plugin's Java code (%s, jdk.ExecutionSample): %d%n",
                recording.getFileName(), samples);
        print("top frames", methods, samples, top, out, Function.identity());
        print("by code area (package of the top frame)", areas, samples, top, out, Function.identity());
        print("by thread (numbered threads of a pool together)", threads, samples, top, out, Function.identity());
        print("by per-call job (the first frame from the top that belongs to one)", jobs, samples, JOBS.size() + 3,
                out, Function.identity());
        print("by the plugin's own code nearest the top (the caller that asked for the work)", ownCallers, samples,
                top, out, Function.identity());
        if (!regexCallers.isEmpty()) {
            print("java.util.regex samples, by the plugin's own caller", regexCallers, samples, top, out,
                    Function.identity());
        }
        out.printf("Garbage collections: %d, paused %d ms in all, longest pause %.1f ms%n", collections,
                paused.toMillis(), longestPause.toNanos() / 1e6);
        out.printf("Allocation (jdk.ObjectAllocationSample, weighted): %d MiB in all%n", allocated >> 20);
        out.printf("  by per-call job:%n");
        long total = Math.max(1, allocated);
        allocations.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(entry -> out.printf("    %5.1f%%  %s%n", 100.0 * entry.getValue() / total, entry.getKey()));
        out.printf("  top allocation sites (type in method):%n");
        allocationSites.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(entry -> out.printf("    %5.1f%%  %s%n", 100.0 * entry.getValue() / total, entry.getKey()));
        out.printf("Samples of threads in native code (jdk.NativeMethodSample, SoftHSM's C code among them; includes"
                + " idle event loops in epoll_wait): %d%n", nativeSamples);
        print("top native frames", nativeMethods, nativeSamples, top, out, Function.identity());
    }

    /** A job of a call and the classes (name prefixes) whose frames do it; the first frame from the top decides. */
    private record Job(String name, List<String> prefixes) {
    }

    private static final List<Job> JOBS = List.of(
            new Job("telemetry (Micrometer timers and histograms, the request tracer)", List.of("io.micrometer.",
                    "dev.kmsplugin.app.ops.metrics.", "dev.kmsplugin.adapter.grpc.transport.RequestTelemetry")),
            new Job("call outcome log (level check, field map, formatting)", List.of(
                    "dev.kmsplugin.adapter.grpc.kms.CallOutcome", "dev.kmsplugin.app.ops.logging.",
                    "java.util.logging.", "sun.util.logging.", "jdk.internal.logger.")),
            new Job("ciphertext header encoding and decoding", List.of(
                    "dev.kmsplugin.domain.envelope.CiphertextFormat", "dev.kmsplugin.domain.envelope.SealedDataKey")),
            new Job("key version lookup and key_id", List.of("dev.kmsplugin.adapter.softhsm.TokenVersions",
                    "dev.kmsplugin.domain.key.")),
            new Job("payload copies and wiping", List.of("dev.kmsplugin.adapter.grpc.kms.Payloads",
                    "dev.kmsplugin.domain.envelope.Plaintext", "dev.kmsplugin.domain.envelope.Ciphertext",
                    "dev.kmsplugin.domain.envelope.BoundedBytes")),
            new Job("PKCS#11 provider, Java side (SunPKCS11 cipher init and JNI marshalling)", List.of(
                    "sun.security.pkcs11.", "javax.crypto.")),
            new Job("request parsing and the malformed-request check", List.of(
                    "dev.kmsplugin.adapter.grpc.kms.MalformedRequests", "com.google.protobuf.",
                    "dev.kmsplugin.adapter.grpc.wire.")),
            new Job("read limit and connection gates", List.of(
                    "dev.kmsplugin.adapter.grpc.transport.RequestReadLimit",
                    "dev.kmsplugin.adapter.grpc.transport.ReadGates",
                    "dev.kmsplugin.adapter.grpc.transport.ConnectionGate")),
            new Job("admission and the hand-off between threads (worker pool, queues)", List.of(
                    "dev.kmsplugin.adapter.grpc.kms.CallAdmission", "dev.kmsplugin.adapter.grpc.kms.UnaryCalls",
                    "java.util.concurrent.")),
            new Job("the envelope use case and backend (other plugin code)", List.of("dev.kmsplugin.")),
            new Job("gRPC and Netty (HTTP/2, the socket, event loops)", List.of("io.grpc.")));

    private static String job(RecordedStackTrace stack) {
        boolean transportAbove = false;
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("io.grpc.")) {
                transportAbove = true;
                continue;
            }
            if (transportAbove && type.equals("dev.kmsplugin.adapter.grpc.kms.UnaryCalls")) {
                // The worker thread answering: gRPC serialises the response and hands it to the event loop.
                return RESPONDING;
            }
            for (Job job : JOBS.subList(0, JOBS.size() - 2)) {
                if (job.prefixes().stream().anyMatch(type::startsWith)) {
                    return job.name();
                }
            }
        }
        // No specific job on the stack: the plugin's other code, else the transport, else the JDK alone.
        for (Job job : JOBS.subList(JOBS.size() - 2, JOBS.size())) {
            if (stack.getFrames().stream().anyMatch(f -> f.getMethod().getType().getName().startsWith(
                    job.prefixes().get(0)))) {
                return job.name();
            }
        }
        return "JDK and other (GC, JIT, threads outside a call)";
    }

    private static final String RESPONDING = "answering from the worker thread (gRPC serialises the response and"
            + " hands it to the event loop)";

    private static String firstOwnFrame(RecordedStackTrace stack) {
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("dev.kmsplugin.")) {
                return type.substring("dev.kmsplugin.".length()) + "." + frame.getMethod().getName();
            }
        }
        return "(no plugin frame: gRPC/Netty/JDK threads)";
    }

    private static String area(String type) {
        String[] parts = type.split("\\.");
        int keep = type.startsWith("io.grpc.netty.shaded.io.netty") ? 7
                : type.startsWith("dev.kmsplugin") || type.startsWith("io.grpc") ? 4 : 3;
        StringBuilder area = new StringBuilder();
        for (int i = 0; i < Math.min(keep, parts.length - 1); i++) {
            area.append(i == 0 ? "" : ".").append(parts[i]);
        }
        return area.length() == 0 ? type : area.toString();
    }

    private static void print(String title, Map<String, Integer> counts, int samples, int top, PrintStream out,
            Function<String, String> label) {
        out.printf("  %s:%n", title);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .forEach(entry -> out.printf("    %5.1f%%  %s%n", 100.0 * entry.getValue() / Math.max(1, samples),
                        label.apply(entry.getKey())));
    }
}
