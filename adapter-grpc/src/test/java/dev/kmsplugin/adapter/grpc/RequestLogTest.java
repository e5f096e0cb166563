package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import io.grpc.StatusRuntimeException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** One log line per call, carrying the apiserver's uid and the method, and never a data key. */
class RequestLogTest {

    @Test
    void each_call_logs_its_uid_method_and_code_but_never_the_plaintext() {
        Logger logger = Logger.getLogger("dev.kmsplugin.adapter.grpc.kms.UnaryCalls");
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Level previous = logger.getLevel();
        logger.setLevel(Level.ALL);
        logger.addHandler(capture);
        try (RunningPlugin plugin = RunningPlugin.start()) {
            byte[] seed = KmsRoundTripTest.dataKey();
            EncryptResponse encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(seed)).setUid("apiserver-uid-1234").build());
            plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext())
                    .setKeyId(encrypted.getKeyId()).setUid("apiserver-uid-5678").build());
            assertThrows(StatusRuntimeException.class, () -> plugin.v2().decrypt(DecryptRequest.newBuilder()
                    .setCiphertext(ByteString.copyFromUtf8("junk")).setKeyId("k").setUid("apiserver-uid-9").build()));

            assertTrue(lines.stream().anyMatch(l -> l.contains("uid=apiserver-uid-1234 method=v2/Encrypt code=OK")),
                    lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.contains("uid=apiserver-uid-5678 method=v2/Decrypt code=OK")),
                    lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.contains("uid=apiserver-uid-9 method=v2/Decrypt"
                    + " code=INVALID_ARGUMENT")), lines.toString());
            String hex = HexFormat.of().formatHex(seed);
            String base64 = Base64.getEncoder().encodeToString(seed);
            assertFalse(lines.stream().anyMatch(l -> l.contains(hex) || l.contains(base64)), "plaintext logged");
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(previous);
        }
    }
}
