package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.adapter.grpc.kms.CallOutcome;
import dev.kmsplugin.ports.testkit.LogCapture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Captures what the call runner logs (every level) while open, and reads its call outcome lines back. As a JUnit
 * extension ({@code @RegisterExtension}) it listens for the duration of each test.
 */
final class CallLog extends LogCapture implements BeforeEachCallback, AfterEachCallback {

    CallLog() {
        super("dev.kmsplugin.adapter.grpc.kms.UnaryCalls", true);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        records.clear();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
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
