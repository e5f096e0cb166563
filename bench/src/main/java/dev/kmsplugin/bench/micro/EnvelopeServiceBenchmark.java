package dev.kmsplugin.bench.micro;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.StatusReport;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The envelope use cases over an in-memory AES key: what the core adds around a wrap or unwrap (deadline check,
 * header, format, key_id check, telemetry) plus the JDK's AES-GCM, without an HSM or a socket.
 */
public class EnvelopeServiceBenchmark extends MicroBenchmark {

    private EnvelopeService service;
    private Plaintext dataKey;
    private DecryptRequest v2Decrypt;

    @Setup
    public void setUp() {
        service = new EnvelopeService(Backend.of(new InMemoryKeys()), Telemetry.none());
        byte[] material = new byte[32];
        ThreadLocalRandom.current().nextBytes(material);
        dataKey = new Plaintext(material);
        EncryptResult sealed = service.encrypt(dataKey, call());
        v2Decrypt = DecryptRequest.v2(sealed.ciphertext(), Optional.of(sealed.keyId()), sealed.annotations());
    }

    @Benchmark
    public EncryptResult encrypt() {
        return service.encrypt(dataKey, call());
    }

    @Benchmark
    public Plaintext decrypt() {
        return service.decrypt(v2Decrypt, call());
    }

    @Benchmark
    public StatusReport status() {
        return service.status();
    }

    private static CallContext call() {
        return CallContext.of("jmh", Duration.ofSeconds(3));
    }
}
