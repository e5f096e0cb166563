package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.testkit.Await;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every class of bad input and every backend failure reaches the client as the documented status code with a
 * message an operator can act on: never UNKNOWN, never a stack trace, never the plaintext. The server stays
 * healthy afterwards.
 */
class KmsErrorsTest extends PluginPerTest {

    private final byte[] seed = KmsRoundTripTest.dataKey();
    private EncryptResponse good;

    @BeforeEach
    void encryptOne() {
        good = plugin.v2().encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(seed)).build());
    }

    @AfterEach
    void stillHealthy() {
        plugin.keys.failWith(null);
        plugin.keys.delay(Duration.ZERO);
        assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
        assertArrayEquals(seed, decrypt(good.getCiphertext(), good.getKeyId()), "server answers correctly after");
    }

    private byte[] decrypt(ByteString ciphertext, String keyId) {
        return plugin.v2().decrypt(DecryptRequest.newBuilder().setCiphertext(ciphertext).setKeyId(keyId)
                .setUid("test").build()).getPlaintext().toByteArray();
    }

    private Status fails(Status.Code expected, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        Status status = e.getStatus();
        assertEquals(expected, status.getCode(), String.valueOf(status.getDescription()));
        String description = status.getDescription();
        assertNotNull(description);
        assertFalse(description.isBlank());
        assertFalse(description.contains("\n\tat ") || description.contains("Exception"), description);
        assertFalse(description.contains(HexFormat.of().formatHex(seed)), "plaintext must not appear");
        return status;
    }

    private byte[] ciphertext() {
        return good.getCiphertext().toByteArray();
    }

    @Test
    void garbage_ciphertext_is_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(ByteString.copyFromUtf8("garbage"), good.getKeyId()));
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v1().decrypt(
                dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest.newBuilder().setVersion("v1beta1")
                        .setCipher(ByteString.copyFrom(new byte[] {(byte) 0xC5, 7, 7})).build()));
    }

    @Test
    void tampered_ciphertext_is_invalid_argument() {
        byte[] tampered = ciphertext();
        tampered[tampered.length - 1] ^= 1;
        Status status = fails(Status.Code.INVALID_ARGUMENT,
                () -> decrypt(ByteString.copyFrom(tampered), good.getKeyId()));
        assertTrue(status.getDescription().contains("authentication"), status.getDescription());
    }

    @Test
    void truncated_ciphertext_is_invalid_argument_naming_the_cut_field() {
        byte[] whole = ciphertext();
        byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 5);
        Status status = fails(Status.Code.INVALID_ARGUMENT,
                () -> decrypt(ByteString.copyFrom(truncated), good.getKeyId()));
        assertTrue(status.getDescription().contains("truncated"), status.getDescription());
    }

    @Test
    void empty_or_oversized_ciphertext_is_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(ByteString.EMPTY, good.getKeyId()));
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(ByteString.copyFrom(new byte[1025]), good.getKeyId()));
    }

    @Test
    void wrong_or_missing_key_id_is_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(good.getCiphertext(), "not-the-key-id"));
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(good.getCiphertext(), ""));
    }

    @Test
    void malformed_annotations_are_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v2().decrypt(DecryptRequest.newBuilder()
                .setCiphertext(good.getCiphertext()).setKeyId(good.getKeyId())
                .putAnnotations("NotAnFQDN", ByteString.copyFromUtf8("x")).build()));
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v2().decrypt(DecryptRequest.newBuilder()
                .setCiphertext(good.getCiphertext()).setKeyId(good.getKeyId())
                .putAnnotations("big.example.com", ByteString.copyFrom(new byte[33 * 1024])).build()));
    }

    @Test
    void foreign_ciphertext_without_a_reader_is_invalid_argument() {
        // Base64url text, as an earlier plugin wrote it: not this plugin's format and no backend reader for it.
        fails(Status.Code.INVALID_ARGUMENT, () -> decrypt(ByteString.copyFromUtf8("ZXhhbXBsZQ"), good.getKeyId()));
    }

    @Test
    void empty_or_oversized_plaintext_is_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v2().encrypt(EncryptRequest.newBuilder().build()));
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(new byte[257])).build()));
    }

    @Test
    void a_message_above_the_size_limit_is_refused_before_it_reaches_the_backend() {
        fails(Status.Code.RESOURCE_EXHAUSTED, () -> plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(new byte[200 * 1024])).build()));
        assertTrue(plugin.telemetry.awaits("v2/Encrypt RESOURCE_EXHAUSTED"), plugin.telemetry.requests.toString());
    }

    @Test
    void v1_requests_with_another_version_are_invalid_argument() {
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v1().version(VersionRequest.newBuilder()
                .setVersion("v2").build()));
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v1().encrypt(
                dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder().setVersion("")
                        .setPlain(ByteString.copyFrom(seed)).build()));
        fails(Status.Code.INVALID_ARGUMENT, () -> plugin.v1().decrypt(
                dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest.newBuilder().setVersion("v1")
                        .setCipher(good.getCiphertext()).build()));
    }

    @Test
    void a_deleted_key_version_is_failed_precondition() {
        KeyRef old = plugin.keys.current().ref();
        plugin.keys.rotate();
        EncryptResponse undecryptable = good;
        plugin.keys.forget(old);
        Status status = fails(Status.Code.FAILED_PRECONDITION,
                () -> decrypt(undecryptable.getCiphertext(), undecryptable.getKeyId()));
        assertTrue(status.getDescription().contains("does not exist"), status.getDescription());
        // the @AfterEach round trip needs a decryptable ciphertext under the current key
        good = plugin.v2().encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(seed)).build());
    }

    private void backendFailsWith(Supplier<RuntimeException> failure, Status.Code expected) {
        plugin.keys.failWith(failure);
        fails(expected, () -> plugin.v2().encrypt(EncryptRequest.newBuilder()
                .setPlaintext(ByteString.copyFrom(seed)).build()));
        fails(expected, () -> decrypt(good.getCiphertext(), good.getKeyId()));
        fails(expected, () -> plugin.v1().encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest
                .newBuilder().setVersion("v1beta1").setPlain(ByteString.copyFrom(seed)).build()));
    }

    @Test
    void backend_unavailable_is_unavailable() {
        backendFailsWith(() -> new KmsException.BackendUnavailable("vault unreachable"), Status.Code.UNAVAILABLE);
    }

    @Test
    void throttling_is_resource_exhausted_with_the_retry_hint() {
        plugin.keys.failWith(() -> new KmsException.Throttled("vault throttled", Duration.ofMillis(1500)));
        Status status = fails(Status.Code.RESOURCE_EXHAUSTED, () -> decrypt(good.getCiphertext(), good.getKeyId()));
        assertTrue(status.getDescription().contains("retry after 1500 ms"), status.getDescription());
    }

    @Test
    void access_denied_is_permission_denied() {
        backendFailsWith(() -> new KmsException.AccessDenied("identity may not unwrap"), Status.Code.PERMISSION_DENIED);
    }

    @Test
    void misconfiguration_is_failed_precondition() {
        backendFailsWith(() -> new KmsException.Misconfigured("no key name"), Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void an_unexpected_bug_is_internal_without_details_and_never_unknown() {
        backendFailsWith(() -> new IllegalStateException("secret internals"), Status.Code.INTERNAL);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> decrypt(good.getCiphertext(),
                good.getKeyId()));
        assertFalse(e.getStatus().getDescription().contains("secret internals"));
        assertTrue(e.getStatus().getDescription().contains("uid test"), e.getStatus().getDescription());
    }

    @Test
    void a_call_whose_deadline_passes_in_the_backend_is_deadline_exceeded_and_abandoned() {
        InMemoryKeys.Gate gate = plugin.keys.hold(); // released only after the test: only the deadline can end the call
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> plugin.v2()
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .decrypt(DecryptRequest.newBuilder().setCiphertext(good.getCiphertext()).setKeyId(good.getKeyId())
                            .build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            // The client stopped waiting at its deadline, not when the backend let go: the gate is still closed.
            assertFalse(gate.released());
            // The call had reached the backend, and the backend's work was abandoned at the same deadline.
            gate.awaitArrivals(1);
            assertEquals(1, gate.arrived(), gate.toString());
            gate.awaitDeadlineExceeded(1);
            assertEquals(0, gate.passed(), gate.toString());
            // Whichever fires first, the server's deadline timer or the client's cancellation, the call is abandoned.
            Await.awaitCondition(() -> plugin.telemetry.requests.contains("v2/Decrypt DEADLINE_EXCEEDED")
                    || plugin.telemetry.requests.contains("v2/Decrypt CANCELLED"),
                    () -> "v2/Decrypt DEADLINE_EXCEEDED or CANCELLED: " + plugin.telemetry.requests);
        } finally {
            gate.release();
        }
    }

    @Test
    void an_unhealthy_backend_makes_status_say_why_while_keeping_the_key_id() {
        plugin.keys.tracker().failed(new KmsException.AccessDenied("the identity lost unwrapKey"));
        var status = plugin.v2().status(StatusRequest.getDefaultInstance());
        assertFalse(status.getHealthz().equals("ok"));
        assertTrue(status.getHealthz().contains("lost unwrapKey"), status.getHealthz());
        assertFalse(status.getKeyId().isEmpty());
        plugin.keys.tracker().succeeded();
    }

    @Test
    void an_unregistered_method_is_unimplemented_not_unknown() {
        var method = io.grpc.MethodDescriptor.<StatusRequest, StatusRequest>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("v2.KeyManagementService/Rotate")
                .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(StatusRequest.getDefaultInstance()))
                .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(StatusRequest.getDefaultInstance()))
                .build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls
                .blockingUnaryCall(plugin.channel, method, io.grpc.CallOptions.DEFAULT
                        .withDeadlineAfter(3, TimeUnit.SECONDS), StatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }
}
