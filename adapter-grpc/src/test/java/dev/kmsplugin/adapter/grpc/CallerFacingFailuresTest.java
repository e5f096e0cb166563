package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.kms.CallOutcome;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a caller of the socket learns when the backend fails: the kind, never the plugin's paths or library errors,
 * which stay in the log; and a flood of identical failures is logged once per interval with a count, while every
 * INTERNAL failure (whose uid the caller is told to look up) keeps its line.
 */
class CallerFacingFailuresTest extends PluginPerTest {

    private static final String DETAIL = "SoftHSM failed to unwrap under kek/1 in /var/lib/kms-sim/tokens:"
            + " PKCS11Exception: CKR_OBJECT_HANDLE_INVALID";

    @RegisterExtension
    final CallLog log = new CallLog();
    private final java.util.List<java.util.logging.LogRecord> records = log.records;
    private EncryptResponse encrypted;

    private List<Map<String, String>> outcomes(String code) {
        return log.outcomes().stream().filter(o -> o.get("code").equals(code)).toList();
    }

    private static DecryptRequest decrypt(EncryptResponse encrypted, String uid) {
        return DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext()).setKeyId(encrypted.getKeyId())
                .setUid(uid).build();
    }

    /** Data encrypted while the backend worked, which it now fails to decrypt with {@link #DETAIL}. */
    @BeforeEach
    void encryptThenFailTheBackend() {
        encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).setUid("e").build());
        plugin.keys.failWith(() -> new KmsException.BackendUnavailable(DETAIL));
    }

    @Test
    void a_backend_failure_tells_the_caller_its_kind_and_the_log_the_details() {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> plugin.v2().decrypt(decrypt(encrypted, "uid-backend")));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        String told = refused.getStatus().getDescription();
        assertFalse(told.contains("/var/lib") || told.contains("PKCS11Exception") || told.contains("CKR_"), told);
        assertTrue(told.contains("backend is unavailable"), told);
        assertTrue(outcomes("UNAVAILABLE").stream().anyMatch(o -> o.get("uid").equals("uid-backend")
                && o.get("detail").contains("PKCS11Exception: CKR_OBJECT_HANDLE_INVALID")), records.toString());
    }

    @Test
    void identical_failures_are_logged_once_per_interval_but_internal_errors_always() {
        for (int i = 0; i < 50; i++) {
            int n = i;
            assertThrows(StatusRuntimeException.class, () -> plugin.v2().decrypt(decrypt(encrypted, "u" + n)));
        }
        assertEquals(1, outcomes("UNAVAILABLE").size(), "50 identical failures within the interval: one line");

        plugin.keys.failWith(() -> new IllegalStateException("a bug"));
        for (int i = 0; i < 5; i++) {
            int n = i;
            StatusRuntimeException internal = assertThrows(StatusRuntimeException.class,
                    () -> plugin.v2().decrypt(decrypt(encrypted, "bug-" + n)));
            assertEquals(Status.Code.INTERNAL, internal.getStatus().getCode());
        }
        assertEquals(5, outcomes("INTERNAL").size(), "every INTERNAL keeps the line its uid points to");
        // one structured line per INTERNAL failure, carrying the exception for its stack trace; no second line
        List<java.util.logging.LogRecord> severe = records.stream()
                .filter(r -> r.getLevel() == java.util.logging.Level.SEVERE).toList();
        assertEquals(5, severe.size(), severe.toString());
        assertTrue(severe.stream().allMatch(r -> CallOutcome.MESSAGE.equals(r.getMessage())
                && r.getParameters().length == 2 && r.getParameters()[1] instanceof IllegalStateException),
                severe.toString());
    }
}
