package dev.kmsplugin.bench.storage;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The benchmark's etcd contents: what kube-apiserver would store under {@code /registry} on a cluster that moved
 * to this plugin's KMS v2 provider, with an older v1 remainder, objects stored in the clear and a few values of a
 * previous aescbc provider. Value {@code i} is always the same kind at the same key, so every size is a prefix of
 * the next; its payload is random (etcd does not compress) and 1-3 KiB long, like a typical Secret or ConfigMap.
 *
 * <p>Mix by {@code i % 20}: 0-13 KMS v2 (70%, key versions 1 and 2 alternately), 14-15 KMS v1 (10%), 16-18 identity
 * (15%), 19 aescbc (5%).
 */
final class StoredValues {

    static final String PROVIDER = "kms-plugin";
    static final String KEY_NAME = "kek";
    private static final int NAMESPACES = 100;

    enum Kind { KMS_V2, KMS_V1, IDENTITY, AESCBC }

    private final Map<String, String> keyIdByVersion;

    /** @param keyIdByVersion the simulator's key_id of versions "1" and "2" */
    StoredValues(Map<String, String> keyIdByVersion) {
        if (!keyIdByVersion.containsKey("1") || !keyIdByVersion.containsKey("2")) {
            throw new IllegalArgumentException("need key versions 1 and 2, have " + keyIdByVersion.keySet());
        }
        this.keyIdByVersion = Map.copyOf(keyIdByVersion);
    }

    static Kind kind(long i) {
        int slot = (int) (i % 20);
        return slot < 14 ? Kind.KMS_V2 : slot < 16 ? Kind.KMS_V1 : slot < 19 ? Kind.IDENTITY : Kind.AESCBC;
    }

    /** How many of values {@code 0..count-1} are stored in the clear. */
    static long identities(long count) {
        long n = 0;
        for (long i = 0; i < count; i++) {
            n += kind(i) == Kind.IDENTITY ? 1 : 0;
        }
        return n;
    }

    /** Values {@code from..to-1}, keys in write order. */
    Map<byte[], byte[]> range(long from, long to) {
        Map<byte[], byte[]> batch = new LinkedHashMap<>();
        for (long i = from; i < to; i++) {
            batch.put(key(i).getBytes(StandardCharsets.US_ASCII), value(i));
        }
        return batch;
    }

    static String key(long i) {
        String resource = switch (kind(i)) {
            case KMS_V2 -> i % 3 == 0 ? "configmaps" : "secrets";
            case KMS_V1, AESCBC -> "secrets";
            case IDENTITY -> i % 2 == 0 ? "pods" : "events";
        };
        return String.format("/registry/%s/ns-%03d/obj-%08d", resource, i % NAMESPACES, i);
    }

    byte[] value(long i) {
        SplittableRandom random = new SplittableRandom(i);
        int size = 1024 + random.nextInt(2049);
        String version = (i / 20) % 2 == 0 ? "1" : "2";
        return switch (kind(i)) {
            case KMS_V2 -> ApiserverValues.kmsV2(PROVIDER, keyIdByVersion.get(version),
                    ourCiphertext(version, bytes(random, 60)), bytes(random, size));
            case KMS_V1 -> ApiserverValues.kmsV1(PROVIDER, ourCiphertext(version, bytes(random, 60)),
                    bytes(random, size));
            case IDENTITY -> ApiserverValues.identity(bytes(random, size));
            case AESCBC -> ApiserverValues.other("aescbc", "key1", bytes(random, size));
        };
    }

    /** This plugin's ciphertext of a data key: the header names the key version that wrapped it. */
    private static byte[] ourCiphertext(String version, byte[] wrapped) {
        return CiphertextFormat.encode(new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef(KEY_NAME, version),
                wrapped)).bytes();
    }

    private static byte[] bytes(SplittableRandom random, int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i += 8) {
            long word = random.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                bytes[i + j] = (byte) (word >>> (8 * j));
            }
        }
        return bytes;
    }
}
