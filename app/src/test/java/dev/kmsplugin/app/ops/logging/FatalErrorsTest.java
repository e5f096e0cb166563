package dev.kmsplugin.app.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.testkit.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** An OutOfMemoryError that a library caught and logged ends the process with an ERROR line, once. */
class FatalErrorsTest {

    private final LogCapture console = new LogCapture();
    private final List<LogRecord> written = console.records;
    private final List<Integer> halted = new ArrayList<>();
    private final FatalErrors fatal = new FatalErrors(console, halted::add);

    private static LogRecord record(Level level, Throwable thrown) {
        LogRecord record = new LogRecord(level, "Transport failed");
        record.setLoggerName("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");
        record.setThrown(thrown);
        return record;
    }

    @Test
    void direct_memory_exhaustion_logged_at_info_by_a_library_ends_the_process() {
        fatal.publish(record(Level.INFO, new RuntimeException("wrapped",
                new OutOfMemoryError("Cannot reserve 2097152 bytes of direct buffer memory"))));
        assertEquals(List.of(FatalErrors.EXIT_CODE), halted);
        assertEquals(Level.SEVERE, written.get(0).getLevel());
        assertTrue(written.get(0).getMessage().contains("out of memory (Cannot reserve 2097152 bytes of direct buffer"
                + " memory, reported by io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport)"),
                written.get(0).getMessage());
        fatal.publish(record(Level.INFO, new OutOfMemoryError("again")));
        assertEquals(1, halted.size(), "ends the process once");
    }

    @Test
    void other_failures_are_left_to_the_log() {
        fatal.publish(record(Level.WARNING, new IllegalStateException("connection reset")));
        fatal.publish(record(Level.INFO, null));
        assertEquals(List.of(), halted);
        assertEquals(List.of(), written);
    }
}
