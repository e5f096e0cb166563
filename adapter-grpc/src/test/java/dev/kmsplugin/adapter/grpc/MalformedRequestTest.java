package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Bytes that are not protobuf get INVALID_ARGUMENT and one rate-limited line, never UNKNOWN and a stack trace. */
class MalformedRequestTest {

    @Test
    void garbage_request_bytes_are_invalid_argument_with_one_log_line() {
        Logger root = Logger.getLogger("");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    records.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        root.addHandler(capture);
        // a length-delimited field 1 that claims 16 bytes and has one; a tag with an invalid wire type
        byte[][] garbage = {{0x0a, 0x10, 0x01}, {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}};
        try (RunningPlugin plugin = RunningPlugin.start()) {
            for (String method : new String[] {"v2.KeyManagementService/Decrypt", "v2.KeyManagementService/Encrypt",
                "v1beta1.KeyManagementService/Decrypt", "v2.KeyManagementService/Status"}) {
                for (int i = 0; i < 25; i++) {
                    byte[] body = garbage[i % 2];
                    StatusRuntimeException answer = assertThrows(StatusRuntimeException.class,
                            () -> ClientCalls.blockingUnaryCall(plugin.channel, RawMethod.named(method),
                                    CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS), body));
                    assertEquals(Status.Code.INVALID_ARGUMENT, answer.getStatus().getCode(), method);
                    assertTrue(answer.getStatus().getDescription().contains("not a valid protobuf message"),
                            answer.getStatus().getDescription());
                }
            }
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz(),
                    "the plugin keeps serving");
        } finally {
            root.removeHandler(capture);
        }
        assertEquals(1, records.size(), "one rate-limited line for 100 malformed requests: " + records.stream()
                .map(r -> r.getLoggerName() + " " + r.getMessage()).toList());
        assertTrue(records.get(0).getThrown() == null, "no stack trace");
    }
}
