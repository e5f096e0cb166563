package dev.kmsplugin.app.ops;

import dev.kmsplugin.adapter.grpc.kms.KmsStatusMapping;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Transport;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A transport for tests that calls the envelope use cases in-process and reports and logs each call the way the
 * gRPC transport does ({@code uid=... method=... code=...}). Its self-check calls Status like the apiserver, and
 * can be made to fail as a wedged socket would.
 */
public final class InProcessTransport implements Transport {

    private static final Logger LOG = System.getLogger("dev.kmsplugin.adapter.test.InProcessTransport");

    private final EnvelopeEncryption service;
    private final Telemetry telemetry;
    volatile boolean started;
    volatile boolean stopped;
    public volatile String selfCheckFailure;

    public InProcessTransport(EnvelopeEncryption service, Telemetry telemetry) {
        this.service = service;
        this.telemetry = telemetry;
    }

    @Override
    public void start() {
        started = true;
    }

    @Override
    public String endpoint() {
        return "in-process://test";
    }

    @Override
    public void selfCheck(Duration timeout) {
        if (!started || stopped) {
            throw new KmsException.BackendUnavailable("transport is not serving");
        }
        if (selfCheckFailure != null) {
            throw new KmsException.DeadlineExceeded(selfCheckFailure);
        }
        if (!service.status().healthy()) {
            throw new KmsException.BackendUnavailable("Status answered '" + service.status().healthz() + "'");
        }
    }

    public EncryptResult encrypt(byte[] plaintext) {
        return call("Encrypt", ctx -> service.encrypt(new Plaintext(plaintext), ctx));
    }

    public Plaintext decrypt(EncryptResult result) {
        return call("Decrypt", ctx -> service.decrypt(
                DecryptRequest.v2(result.ciphertext(), java.util.Optional.of(result.keyId()), result.annotations()),
                ctx));
    }

    private <T> T call(String method, java.util.function.Function<CallContext, T> work) {
        CallContext context = CallContext.of(UUID.randomUUID().toString(), Duration.ofSeconds(5));
        long start = System.nanoTime();
        String code = "OK";
        try {
            return work.apply(context);
        } catch (KmsException e) {
            // the gRPC transport's own mapping, so the codes these tests see are the ones the apiserver gets
            code = KmsStatusMapping.toStatus(e).getCode().name();
            throw e;
        } finally {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            telemetry.requestCompleted("v2", method, code, elapsed);
            // As the gRPC transport does: the call's outcome as one map of fields, the formatter's only source of them.
            Map<String, String> outcome = new LinkedHashMap<>();
            outcome.put("uid", context.uid());
            outcome.put("method", "v2/" + method);
            outcome.put("code", code);
            outcome.put("micros", Long.toString(elapsed.toNanos() / 1000));
            LOG.log(Level.INFO, "{0}", outcome);
        }
    }

    @Override
    public void shutdown(Duration grace) {
        stopped = true;
    }
}
