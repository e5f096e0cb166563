package dev.kmsplugin.app.ops.logging;

import dev.kmsplugin.domain.failure.Messages;
import dev.kmsplugin.ports.spi.ExitCode;
import java.util.function.IntConsumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Watches every log record for an {@link OutOfMemoryError} and ends the process when it sees one. The JVM's
 * {@code -XX:+ExitOnOutOfMemoryError} covers the heap, but running out of direct buffer memory (Netty's I/O
 * buffers) is an ordinary exception that libraries catch and log, after which the process would carry on serving
 * nothing. Exiting lets the kubelet or systemd start a fresh one; the next start removes the stale socket.
 */
final class FatalErrors extends Handler {

    static final int EXIT_CODE = ExitCode.FAILED.code();

    private final Handler console;
    private final IntConsumer halt;
    private volatile boolean fired;

    /**
     * @param console where the ERROR line goes before the process ends
     * @param halt    ends the process with the given code ({@code Runtime.getRuntime()::halt} in production)
     */
    FatalErrors(Handler console, IntConsumer halt) {
        this.console = console;
        this.halt = halt;
        setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
        if (fired || !isOutOfMemory(record.getThrown())) {
            return;
        }
        fired = true;
        LogRecord fatal = new LogRecord(Level.SEVERE, "out of memory (" + outOfMemoryMessage(record.getThrown())
                + ", reported by " + record.getLoggerName() + "): exiting so that the supervisor restarts the plugin;"
                + " see docs/operations.md, \"Security model\", for the memory limits");
        fatal.setLoggerName(FatalErrors.class.getName());
        console.publish(fatal);
        console.flush();
        halt.accept(EXIT_CODE);
    }

    static boolean isOutOfMemory(Throwable thrown) {
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** The OutOfMemoryError's message as one printable line. */
    private static String outOfMemoryMessage(Throwable thrown) {
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                return Messages.oneLine(cause.getMessage());
            }
        }
        return "";
    }

    @Override
    public void flush() {
        console.flush();
    }

    @Override
    public void close() {
        // the console handler is closed by the log manager
    }
}
