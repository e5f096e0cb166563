package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.key.KeyRef;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Both APIs over a real unix socket, answered as kube-apiserver expects. */
class KmsRoundTripTest extends PluginPerTest {

    static byte[] dataKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    @Test
    void v2_encrypt_then_decrypt_returns_the_data_key_and_the_key_id_status_reports() {
        byte[] seed = dataKey();
        EncryptResponse encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(seed)).setUid("uid-1").build());
        StatusResponse status = plugin.v2().status(StatusRequest.getDefaultInstance());

        assertEquals(status.getKeyId(), encrypted.getKeyId());
        assertTrue(encrypted.getCiphertext().size() > 0 && encrypted.getCiphertext().size() <= 1024);
        byte[] plain = plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext())
                .setKeyId(encrypted.getKeyId()).setUid("uid-2").build()).getPlaintext().toByteArray();
        assertArrayEquals(seed, plain);
    }

    @Test
    void v2_status_is_ok_with_version_v2_and_a_key_id_of_at_most_1024_bytes() {
        StatusResponse status = plugin.v2().status(StatusRequest.getDefaultInstance());
        assertEquals("v2", status.getVersion());
        assertEquals("ok", status.getHealthz());
        assertFalse(status.getKeyId().isEmpty());
        assertTrue(status.getKeyId().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 1024);
    }

    @Test
    void v2_status_reports_v2beta1_when_configured_for_kube_apiserver_1_27_and_1_28() {
        try (RunningPlugin old = RunningPlugin.start(settings -> settings.with("v2-status-version", "v2beta1"))) {
            assertEquals("v2beta1", old.v2().status(StatusRequest.getDefaultInstance()).getVersion());
        }
    }

    @Test
    void key_id_changes_with_the_key_version_and_old_data_still_decrypts() {
        byte[] seed = dataKey();
        EncryptResponse before = plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(seed)).build());
        KeyRef next = plugin.keys.rotate();

        StatusResponse status = plugin.v2().status(StatusRequest.getDefaultInstance());
        assertNotEquals(before.getKeyId(), status.getKeyId());
        assertEquals(plugin.keys.keyId(next).value(), status.getKeyId());
        EncryptResponse after = plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(seed)).build());
        assertEquals(status.getKeyId(), after.getKeyId());
        byte[] plain = plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(before.getCiphertext())
                .setKeyId(before.getKeyId()).build()).getPlaintext().toByteArray();
        assertArrayEquals(seed, plain);
    }

    @Test
    void v1_version_answers_v1beta1_with_a_semver_runtime_version() {
        VersionResponse version = plugin.v1().version(VersionRequest.newBuilder().setVersion("v1beta1").build());
        assertEquals("v1beta1", version.getVersion());
        assertEquals("kms-plugin", version.getRuntimeName());
        assertTrue(version.getRuntimeVersion().matches("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?"),
                version.getRuntimeVersion());
    }

    @Test
    void v1_encrypt_then_decrypt_returns_the_data_key() {
        byte[] dek = dataKey();
        ByteString cipher = plugin.v1().encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder()
                .setVersion("v1beta1").setPlain(ByteString.copyFrom(dek)).build()).getCipher();
        byte[] plain = plugin.v1().decrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest.newBuilder()
                .setVersion("v1beta1").setCipher(cipher).build()).getPlain().toByteArray();
        assertArrayEquals(dek, plain);
    }

    @Test
    void data_written_through_v1_decrypts_through_v2_and_back() {
        byte[] dek = dataKey();
        ByteString v1Cipher = plugin.v1().encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder()
                .setVersion("v1beta1").setPlain(ByteString.copyFrom(dek)).build()).getCipher();
        byte[] viaV2 = plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(v1Cipher)
                .setKeyId(plugin.currentKeyId().value()).build()).getPlaintext().toByteArray();
        assertArrayEquals(dek, viaV2);
    }

    @Test
    void self_check_calls_status_and_version_over_the_socket() {
        plugin.transport.selfCheck(Duration.ofSeconds(3));
        assertTrue(plugin.telemetry.awaits("v2/Status OK"), plugin.telemetry.requests.toString());
        assertTrue(plugin.telemetry.awaits("v1beta1/Version OK"), plugin.telemetry.requests.toString());
    }

    @Test
    void every_request_is_reported_to_telemetry_with_api_method_and_code() {
        plugin.v2().status(StatusRequest.getDefaultInstance());
        plugin.v2().encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(dataKey())).build());
        assertTrue(plugin.telemetry.awaits("v2/Status OK"), plugin.telemetry.requests.toString());
        assertTrue(plugin.telemetry.awaits("v2/Encrypt OK"), plugin.telemetry.requests.toString());
    }

    @Test
    void a_method_no_service_has_is_reported_under_one_other_label_and_v1beta1_under_its_own_api() {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(plugin.channel, RawMethod.named("v2.KeyManagementService/Rotate"),
                        CallOptions.DEFAULT, new byte[0]));
        assertEquals(Status.Code.UNIMPLEMENTED, refused.getStatus().getCode());
        plugin.v1().version(VersionRequest.newBuilder().setVersion("v1beta1").build());
        assertTrue(plugin.telemetry.awaits("other/other UNIMPLEMENTED"), plugin.telemetry.requests.toString());
        assertTrue(plugin.telemetry.awaits("v1beta1/Version OK"), plugin.telemetry.requests.toString());
    }

    @Test
    void endpoint_names_the_socket() {
        assertEquals("unix://" + plugin.socket, plugin.transport.endpoint());
    }
}
