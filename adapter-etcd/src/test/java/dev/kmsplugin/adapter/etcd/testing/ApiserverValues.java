package dev.kmsplugin.adapter.etcd.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Values as kube-apiserver writes them to etcd, built from a plugin's Encrypt output, for tests: the KMS v2
 * {@code EncryptedObject} and the KMS v1 length-prefixed form behind their prefixes, other providers, and the
 * clear (identity) form.
 */
public final class ApiserverValues {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiserverValues() {
    }

    /** {@code k8s:enc:kms:v2:<provider>:} + EncryptedObject{encryptedData, keyID, encryptedDEKSource, ...}. */
    public static byte[] kmsV2(String provider, String keyId, byte[] encryptedDekSource) {
        return kmsV2(provider, keyId, encryptedDekSource, random(64));
    }

    /** As {@link #kmsV2(String, String, byte[])}, with the given encrypted object. */
    public static byte[] kmsV2(String provider, String keyId, byte[] encryptedDekSource, byte[] encryptedData) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encryptedData.length + 256);
        out.writeBytes(ascii("k8s:enc:kms:v2:" + provider + ":"));
        field(out, 1, encryptedData);
        field(out, 2, ascii(keyId));
        field(out, 3, encryptedDekSource);
        ByteArrayOutputStream annotation = new ByteArrayOutputStream();
        field(annotation, 1, ascii("version.encryption.dev.kmsplugin"));
        field(annotation, 2, ascii("1"));
        field(out, 4, annotation.toByteArray());
        out.write(5 << 3);
        out.write(1); // encryptedDEKSourceType: HKDF_SHA256_XNONCE_AES_GCM_SEED
        return out.toByteArray();
    }

    /** {@code k8s:enc:kms:v1:<provider>:} + 2-byte big-endian DEK length + the encrypted DEK + encrypted data. */
    public static byte[] kmsV1(String provider, byte[] encryptedDek) {
        return kmsV1(provider, encryptedDek, random(48));
    }

    /** As {@link #kmsV1(String, byte[])}, with the given encrypted object. */
    public static byte[] kmsV1(String provider, byte[] encryptedDek, byte[] encryptedData) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encryptedData.length + 256);
        out.writeBytes(ascii("k8s:enc:kms:v1:" + provider + ":"));
        out.write(encryptedDek.length >>> 8);
        out.write(encryptedDek.length & 0xff);
        out.writeBytes(encryptedDek);
        out.writeBytes(encryptedData);
        return out.toByteArray();
    }

    /** Another provider's value, e.g. {@code other("aescbc", "key1")}. */
    public static byte[] other(String type, String name) {
        return other(type, name, random(48));
    }

    /** As {@link #other(String, String)}, with the given encrypted object. */
    public static byte[] other(String type, String name, byte[] encrypted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encrypted.length + 32);
        out.writeBytes(ascii("k8s:enc:" + type + ":v1:" + name + ":"));
        out.writeBytes(encrypted);
        return out.toByteArray();
    }

    /** An object stored in the clear, as the apiserver's protobuf encoding starts it. */
    public static byte[] identity(int size) {
        return identity(random(Math.max(4, size)));
    }

    /** {@code object} stored in the clear: its first four bytes become {@code k8s\0}, as the apiserver writes. */
    public static byte[] identity(byte[] object) {
        byte[] value = object.clone();
        System.arraycopy(new byte[] {'k', '8', 's', 0}, 0, value, 0, 4);
        return value;
    }

    /** A KMS v2 prefix followed by bytes that are not an EncryptedObject. */
    public static byte[] garbageAfterKmsPrefix(String provider) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("k8s:enc:kms:v2:" + provider + ":"));
        out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
        return out.toByteArray();
    }

    /** A Go-plugin ciphertext: RSA-OAEP output with no header of ours (first byte is never our marker here). */
    public static byte[] goPluginCiphertext() {
        byte[] bytes = random(384);
        bytes[0] = 0x2a;
        return bytes;
    }

    public static byte[] random(int size) {
        byte[] bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] payload) {
        varint(out, (long) number << 3 | 2);
        varint(out, payload.length);
        out.writeBytes(payload);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7fL) != 0) {
            out.write((int) (value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }
}
