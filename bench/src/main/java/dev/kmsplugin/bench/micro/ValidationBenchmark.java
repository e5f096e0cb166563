package dev.kmsplugin.bench.micro;

import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.key.KeyRef;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** The value types' validation, paid on every request the transports turn into domain values. */
public class ValidationBenchmark extends MicroBenchmark {

    private byte[] dataKey;
    private byte[] ciphertext;
    private Map<String, byte[]> annotations;

    @Setup
    public void setUp() {
        dataKey = new byte[32];
        ciphertext = new byte[80];
        ThreadLocalRandom.current().nextBytes(dataKey);
        ThreadLocalRandom.current().nextBytes(ciphertext);
        ciphertext[0] = (byte) 0xC5;
        // Shaped like what a KMS v2 plugin may return and the apiserver hands back on Decrypt.
        annotations = Map.of("version.encryption.example.com", "1".getBytes(StandardCharsets.US_ASCII),
                "key.encryption.example.com", new byte[64]);
    }

    @Benchmark
    public Plaintext plaintext() {
        return new Plaintext(dataKey);
    }

    @Benchmark
    public Ciphertext ciphertext() {
        return new Ciphertext(ciphertext);
    }

    @Benchmark
    public Annotations annotations() {
        return Annotations.of(annotations);
    }

    @Benchmark
    public KeyRef keyRef() {
        return new KeyRef("kek", "17");
    }
}
