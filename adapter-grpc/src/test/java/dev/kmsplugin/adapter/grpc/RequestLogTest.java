package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import io.grpc.StatusRuntimeException;
import java.text.MessageFormat;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One log line per call, its outcome passed as structured fields (a {@code Map<String, String>} parameter under a
 * fixed message), carrying the apiserver's uid and the method, never a data key, and never a field a caller made.
 */
class RequestLogTest {

    /** What a reader of the text form would take for fields (the pattern app's formatter used to parse). */
    private static final Pattern PAIR = Pattern.compile(
            "(?<=^|\\s)([a-z][a-z0-9_]{0,31})=(\"((?:[^\"\\\\]|\\\\.)*)\"|[^\\s\"]+)");
    private static final String INJECTION = "x\" user=system:admin";

    @RegisterExtension
    final CallLog log = new CallLog();
    private final java.util.List<java.util.logging.LogRecord> records = log.records;

    private List<Map<String, String>> outcomes() {
        return log.outcomes();
    }

    private List<String> texts() {
        return records.stream().map(r -> r.getParameters() == null ? r.getMessage()
                : MessageFormat.format(r.getMessage(), r.getParameters())).toList();
    }

    @Test
    void each_call_logs_its_uid_method_and_code_as_fields_but_never_the_plaintext() {
        try (RunningPlugin plugin = RunningPlugin.start()) {
            byte[] seed = KmsRoundTripTest.dataKey();
            EncryptResponse encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(seed)).setUid("apiserver-uid-1234").build());
            plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext())
                    .setKeyId(encrypted.getKeyId()).setUid("apiserver-uid-5678").build());
            assertThrows(StatusRuntimeException.class, () -> plugin.v2().decrypt(DecryptRequest.newBuilder()
                    .setCiphertext(ByteString.copyFromUtf8("junk")).setKeyId(encrypted.getKeyId())
                    .setUid("apiserver-uid-9").build()));

            List<Map<String, String>> outcomes = outcomes();
            assertTrue(outcomes.stream().anyMatch(o -> o.get("uid").equals("apiserver-uid-1234")
                    && o.get("method").equals("v2/Encrypt") && o.get("code").equals("OK")), outcomes.toString());
            assertTrue(outcomes.stream().anyMatch(o -> o.get("uid").equals("apiserver-uid-5678")
                    && o.get("method").equals("v2/Decrypt") && o.get("code").equals("OK")), outcomes.toString());
            assertTrue(outcomes.stream().anyMatch(o -> o.get("uid").equals("apiserver-uid-9")
                    && o.get("code").equals("INVALID_ARGUMENT") && !o.get("detail").isEmpty()), outcomes.toString());
            assertTrue(outcomes.stream().allMatch(o -> o.get("micros").matches("[0-9]+")));
            // The text form (the documented message) stays as it was for plain uids.
            assertTrue(texts().stream().anyMatch(t -> t.startsWith("uid=apiserver-uid-1234 method=v2/Encrypt"
                    + " code=OK micros=")), texts().toString());
            String hex = HexFormat.of().formatHex(seed);
            String base64 = Base64.getEncoder().encodeToString(seed);
            assertFalse(texts().stream().anyMatch(t -> t.contains(hex) || t.contains(base64)), "plaintext logged");
        }
    }

    @Test
    void caller_supplied_uid_and_version_can_never_become_fields() {
        try (RunningPlugin plugin = RunningPlugin.start()) {
            assertThrows(StatusRuntimeException.class, () -> plugin.v2().decrypt(DecryptRequest.newBuilder()
                    .setCiphertext(ByteString.copyFromUtf8("junk")).setKeyId(INJECTION).setUid(INJECTION).build()));
            assertThrows(StatusRuntimeException.class, () -> plugin.v1().encrypt(
                    dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder().setVersion(INJECTION)
                            .setPlain(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()));
        }
        List<Map<String, String>> outcomes = outcomes();
        assertEquals(2, outcomes.size(), outcomes.toString());
        for (Map<String, String> outcome : outcomes) {
            assertEquals(Set.of("uid", "method", "code", "micros", "detail"), outcome.keySet());
        }
        // The uid stays one value (the domain also replaces characters a uid never has).
        assertTrue(outcomes.stream().anyMatch(o -> o.get("uid").startsWith("x") && o.get("uid").contains("user")),
                outcomes.toString());
        assertTrue(outcomes.stream().anyMatch(o -> o.get("detail").contains(INJECTION)), "the version, as a value");
        // Even a reader that parses the text form finds only the adapter's fields, with the caller's text inside.
        for (String text : texts()) {
            Matcher pair = PAIR.matcher(text);
            while (pair.find()) {
                assertTrue(Set.of("uid", "method", "code", "micros", "detail").contains(pair.group(1)),
                        "caller text became field '" + pair.group(1) + "' in: " + text);
            }
        }
    }
}
