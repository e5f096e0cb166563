package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.adapter.grpc.kms.CallOutcome;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Captures what the call runner logs (every level) while open, and reads its call outcome lines back. As a JUnit
 * extension ({@code @RegisterExtension}) it listens for the duration of each test.
 */
final class CallLog extends Handler implements AutoCloseable, BeforeEachCallback, AfterEachCallback {

    private final Logger logger = Logger.getLogger("dev.kmsplugin.adapter.grpc.kms.UnaryCalls");
    private final Level previous = logger.getLevel();
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    CallLog() {
        logger.setLevel(Level.ALL);
        logger.addHandler(this);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        records.clear();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previous);
    }

    /** The structured fields of every call outcome line. */
    @SuppressWarnings("unchecked")
    List<Map<String, String>> outcomes() {
        return records.stream()
                .filter(r -> CallOutcome.MESSAGE.equals(r.getMessage()) && r.getParameters() != null
                        && r.getParameters().length >= 1 && r.getParameters()[0] instanceof Map)
                .map(r -> (Map<String, String>) r.getParameters()[0]).toList();
    }
}
