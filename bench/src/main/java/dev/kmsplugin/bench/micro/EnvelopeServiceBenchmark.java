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
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The envelope use cases over an in-memory AES key: what the core adds around a wrap or unwrap (deadline check,
 * header, format, key_id check, telemetry) plus the JDK's AES-GCM, without an HSM or a socket.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EnvelopeServiceBenchmark {

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
