package dev.kmsplugin.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
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
        int samples = 0;
        int nativeSamples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                var event = file.readEvent();
                String kind = event.getEventType().getName();
                RecordedStackTrace stack = event.getStackTrace();
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
        print("by the plugin's own code nearest the top (the caller that asked for the work)", ownCallers, samples,
                top, out, Function.identity());
        if (!regexCallers.isEmpty()) {
            print("java.util.regex samples, by the plugin's own caller", regexCallers, samples, top, out,
                    Function.identity());
        }
        out.printf("Samples of threads in native code (jdk.NativeMethodSample, SoftHSM's C code among them; includes"
                + " idle event loops in epoll_wait): %d%n", nativeSamples);
        print("top native frames", nativeMethods, nativeSamples, top, out, Function.identity());
    }

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
