package dev.kmsplugin.app.ops.logging;

import dev.kmsplugin.app.ops.logging.LogLineFormatter;
import dev.kmsplugin.ports.spi.Settings;
import java.io.UnsupportedEncodingException;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One log line per event on standard error, JSON with {@code --log-format-json}. Every module logs through
 * {@link System.Logger}; the JDK routes it to {@code java.util.logging}, configured here once.
 */
public final class Logging {

    /** Our own code logs at the chosen level; libraries (gRPC, Netty) stay at info until -v 6. */
    private static final String OURS = "dev.kmsplugin";

    /**
     * Loggers that dump HTTP/2 frames in hex at debug level. DATA frames carry data keys in plaintext (Encrypt
     * requests, Decrypt answers), so their debug output is never written, whatever the verbosity.
     */
    private static final List<String> WIRE_DUMPS = List.of("NettyServerHandler", "NettyClientHandler",
            "Http2FrameLogger", "LoggingHandler");

    private Logging() {
    }

    public static void configure(Settings log) {
        int verbosity = log.integer("verbosity");
        boolean json = log.bool("json");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Level ours = level(verbosity);
        Level libraries = verbosity >= 6 ? ours : (ours.intValue() < Level.INFO.intValue() ? Level.INFO : ours);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new LogLineFormatter(json, verbosity >= 4));
        try {
            handler.setEncoding("UTF-8");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException("every JDK supports UTF-8", e);
        }
        handler.setLevel(ours);
        boolean debug = verbosity >= 4;
        handler.setFilter(record -> !isWireDump(record) && (debug || !isLibraryNoise(record)));
        root.addHandler(handler);
        root.addHandler(new FatalErrors(handler, code -> Runtime.getRuntime().halt(code)));
        root.setLevel(libraries);
        Logger.getLogger(OURS).setLevel(ours);
        kept = Logger.getLogger(OURS);
    }

    // java.util.logging holds loggers weakly: keep ours so its level survives garbage collection.
    @SuppressWarnings("unused")
    private static Logger kept;

    /**
     * Messages the Azure SDK and MSAL log on every healthy call, which tell an operator nothing: the JDK HTTP client
     * ignoring a restricted header the SDK sets, a retry policy "exhausted" after zero retries of a call that
     * succeeded, MSAL comparing correlation ids an endpoint did not echo. Written only at debug verbosity (-v 4);
     * real failures are reported by the plugin's own lines.
     */
    static boolean isLibraryNoise(LogRecord record) {
        String name = record.getLoggerName();
        String message = record.getMessage();
        if (name == null || message == null) {
            return false;
        }
        return name.startsWith("com.azure.core.http.jdk.httpclient.") && message.contains("header is restricted")
                || name.equals("com.azure.core.http.policy.RetryPolicy")
                        && message.contains("Retry attempts have been exhausted")
                || name.startsWith("com.microsoft.aad.msal4j.")
                        && message.contains("Correlation Id is not same as received");
    }

    static boolean isWireDump(LogRecord record) {
        String name = record.getLoggerName();
        if (name == null || record.getLevel().intValue() >= Level.INFO.intValue()
                || !(name.startsWith("io.netty.") || name.startsWith("io.grpc."))) {
            return false;
        }
        String simpleName = name.substring(name.lastIndexOf('.') + 1);
        return WIRE_DUMPS.contains(simpleName);
    }

    // klog-style verbosity: 0 warnings and errors, 1-3 info, 4 and 5 debug, 6 and above trace.
    static Level level(int verbosity) {
        if (verbosity <= 0) {
            return Level.WARNING;
        }
        if (verbosity < 4) {
            return Level.INFO;
        }
        return verbosity < 6 ? Level.FINE : Level.ALL;
    }
}
