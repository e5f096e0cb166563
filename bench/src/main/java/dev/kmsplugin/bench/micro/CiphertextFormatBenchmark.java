package dev.kmsplugin.bench.micro;

import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** The ciphertext format on every Encrypt (header, encode) and every Decrypt (isOurs, decode). */
public class CiphertextFormatBenchmark extends MicroBenchmark {

    private SealedDataKey sealed;
    private Ciphertext ciphertext;
    private KeyRef key;

    @Setup
    public void setUp() {
        // A data key wrapped by AES-256-GCM: 12 bytes IV + 32 bytes key + 16 bytes tag.
        byte[] wrapped = new byte[60];
        ThreadLocalRandom.current().nextBytes(wrapped);
        key = new KeyRef("kek", "1");
        sealed = new SealedDataKey(Algorithm.AES_256_GCM, key, wrapped);
        ciphertext = CiphertextFormat.encode(sealed);
    }

    @Benchmark
    public byte[] header() {
        return CiphertextFormat.header(Algorithm.AES_256_GCM, key);
    }

    @Benchmark
    public Ciphertext encode() {
        return CiphertextFormat.encode(sealed);
    }

    @Benchmark
    public SealedDataKey decode() {
        return CiphertextFormat.decode(ciphertext);
    }

    @Benchmark
    public boolean isOurs() {
        return CiphertextFormat.isOurs(ciphertext);
    }
}
