package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Measures wraps and unwraps per second against a real token; docs/simulator.md quotes the figures. Not a test (it
 * asserts nothing): run it by hand against a simulator directory, e.g. after {@code kms-plugin sim init}:
 * <pre>
 * SOFTHSM2_CONF=DIR/softhsm2.conf java -cp adapter-local-hsm-sim/target/classes:adapter-local-hsm-sim/target/test-classes:\
 *   kms-ports/target/classes:kms-domain/target/classes dev.kmsplugin.adapter.softhsm.Throughput DIR
 * </pre>
 */
public final class Throughput {

    private Throughput() {
    }

    public static void main(String[] args) throws Exception {
        SimSettings settings = new SimSettings(Path.of(args[0]).toAbsolutePath(), "kms-plugin", "kek", Optional.empty(),
                Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMinutes(2));
        long start = System.nanoTime();
        SimulatorToken opened = SimulatorToken.openOrCreate(settings, System.getenv(), Clock.systemUTC());
        long opening = System.nanoTime() - start;
        try (SoftHsmKekBackend backend = new SoftHsmKekBackend(settings, opened.token(), Telemetry.none(),
                Clock.systemUTC())) {
            backend.start();
            System.out.printf("open token (load library, log in): %d ms; with version index and first probe: %d ms%n",
                    opening / 1_000_000, (System.nanoTime() - start) / 1_000_000);
            KeyVersion key = backend.current();
            byte[] aad = CiphertextFormat.header(Algorithm.AES_256_GCM, key.ref());
            SealedDataKey sample = new SealedDataKey(Algorithm.AES_256_GCM, key.ref(),
                    backend.wrap(key, new Plaintext(new byte[32]), aad, call()));
            for (int threads : new int[] {1, 1, 16, 32}) {
                double wraps = rate(threads, () -> backend.wrap(key, new Plaintext(new byte[32]), aad, call()));
                double unwraps = rate(threads, () -> backend.unwrap(sample, call()));
                System.out.printf("%2d threads: %,7.0f wraps/s  %,7.0f unwraps/s%n", threads, wraps, unwraps);
            }
        }
    }

    private static CallContext call() {
        return CallContext.internal("throughput", Duration.ofSeconds(10));
    }

    private static double rate(int threads, Runnable operation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<Long>> counts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            counts.add(pool.submit(() -> {
                long count = 0;
                while (!stop.get()) {
                    operation.run();
                    count++;
                }
                return count;
            }));
        }
        long begin = System.nanoTime();
        Thread.sleep(2000);
        stop.set(true);
        long total = 0;
        for (Future<Long> count : counts) {
            total += count.get();
        }
        pool.shutdown();
        return total / ((System.nanoTime() - begin) / 1e9);
    }
}
