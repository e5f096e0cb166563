package dev.kmsplugin.adapter.etcd.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StorageFormatTest {

    private static final byte[] OURS_V2 = ours("2");
    private static final byte[] GO_PLUGIN_DEK = "eyJhbGciOi-base64url_text_from_the_go_plugin".getBytes(StandardCharsets.US_ASCII);

    @Test
    void identityValuesAreProtobufOrJsonWithoutTheEncryptionPrefix() {
        assertInstanceOf(StoredValue.Identity.class, StorageFormat.classify(bytes("k8s\0\n\u0002v1")));
        assertInstanceOf(StoredValue.Identity.class, StorageFormat.classify(bytes("{\"kind\":\"Secret\"}")));
        assertInstanceOf(StoredValue.Identity.class, StorageFormat.classify(new byte[0]));
    }

    @Test
    void otherProvidersAreNamedByTypeAndName() {
        StoredValue value = StorageFormat.classify(bytes("k8s:enc:aescbc:v1:key1:\u0001\u0002\u0003"));
        assertEquals(new StoredValue.OtherProvider("aescbc", "key1"), value);
        assertEquals("aescbc:v1:key1", ((StoredValue.OtherProvider) value).label());
        assertEquals(new StoredValue.OtherProvider("secretbox", "s"), StorageFormat.classify(bytes("k8s:enc:secretbox:v1:s:x")));
        assertEquals(new StoredValue.OtherProvider("aesgcm", "g"), StorageFormat.classify(bytes("k8s:enc:aesgcm:v1:g:x")));
    }

    @Test
    void kmsV2NamesTheKeyIdAndOurHeadersVersion() {
        byte[] value = v2("kms-plugin", "key-id-2", OURS_V2, 1);
        assertEquals(new StoredValue.Kms("kms-plugin", "v2", Optional.of("key-id-2"),
                Optional.of(new KeyRef("kek", "2")), true),
                StorageFormat.classify(value));
    }

    @Test
    void kmsV2FromTheGoPluginHasAKeyIdButNoHeader() {
        assertEquals(new StoredValue.Kms("azurekms", "v2", Optional.of("go-key-id"), Optional.empty(), false),
                StorageFormat.classify(v2("azurekms", "go-key-id", GO_PLUGIN_DEK, 0)));
    }

    @Test
    void kmsV1ReadsTheTwoByteLengthPrefix() {
        byte[] dek = ours("1");
        byte[] value = concat(bytes("k8s:enc:kms:v1:kms-plugin:"), new byte[] {(byte) (dek.length >>> 8), (byte) dek.length},
                dek, new byte[] {9, 9, 9});
        assertEquals(new StoredValue.Kms("kms-plugin", "v1", Optional.empty(),
                Optional.of(new KeyRef("kek", "1")), true),
                StorageFormat.classify(value));
        byte[] go = concat(bytes("k8s:enc:kms:v1:azurekms:"), new byte[] {0, (byte) GO_PLUGIN_DEK.length}, GO_PLUGIN_DEK,
                new byte[] {1});
        assertEquals(new StoredValue.Kms("azurekms", "v1", Optional.empty(), Optional.empty(), false),
                StorageFormat.classify(go));
    }

    @Test
    void garbageAfterAKmsPrefixIsUnreadableNotGuessedAt() {
        assertUnreadable("k8s:enc:kms:v1:p:\u0000", "cut short");
        assertUnreadable("k8s:enc:kms:v1:p:\u0000\u0050abc", "does not fit");
        assertUnreadable("k8s:enc:kms:v2:p:\u00ff\u00ff\u00ff", "");
        assertUnreadable("k8s:enc:kms:v2:p:", "no encryptedData");
        assertUnreadable("k8s:enc:kms:v2:noname", "without a provider name");
        assertUnreadable("k8s:enc:rot13:v1:x:abc", "unknown encryption prefix k8s:enc:rot13:");
        byte[] dek = Arrays.copyOf(OURS_V2, OURS_V2.length - 1); // our marker, but a truncated wrapped key
        StoredValue value = StorageFormat.classify(v2("p", "id", dek, 0));
        assertTrue(((StoredValue.Unreadable) value).reason().contains("marker"), value.toString());
        StoredValue noKeyId = StorageFormat.classify(v2("p", "", OURS_V2, 0));
        assertTrue(((StoredValue.Unreadable) noKeyId).reason().contains("no keyID"), noKeyId.toString());
    }

    @Test
    void unknownV2FieldsAreSkippedAsProtobufRequires() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(v2("p", "k", OURS_V2, 1));
        out.write(6 << 3); // a future varint field 6
        out.write(42);
        out.write(7 << 3 | 5); // a fixed32 field 7
        out.writeBytes(new byte[4]);
        assertInstanceOf(StoredValue.Kms.class, StorageFormat.classify(out.toByteArray()));
    }

    private static void assertUnreadable(String value, String reason) {
        StoredValue result = StorageFormat.classify(value.getBytes(StandardCharsets.ISO_8859_1));
        assertInstanceOf(StoredValue.Unreadable.class, result, value);
        assertTrue(((StoredValue.Unreadable) result).reason().contains(reason), result.toString());
    }

    private static byte[] ours(String version) {
        return CiphertextFormat.encode(new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef("kek", version),
                new byte[40])).bytes();
    }

    /** The EncryptedObject the apiserver writes, field by field, with an annotation and the source type. */
    static byte[] v2(String provider, String keyId, byte[] source, int sourceType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes("k8s:enc:kms:v2:" + provider + ":"));
        field(out, 1, new byte[] {1, 2, 3, 4, 5});
        field(out, 2, bytes(keyId));
        field(out, 3, source);
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        field(entry, 1, bytes("example.com/a"));
        field(entry, 2, new byte[] {7});
        field(out, 4, entry.toByteArray());
        out.write(5 << 3);
        out.write(sourceType);
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] payload) {
        out.write(number << 3 | 2);
        int length = payload.length;
        while (length >= 0x80) {
            out.write(length & 0x7f | 0x80);
            length >>>= 7;
        }
        out.write(length);
        out.writeBytes(payload);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
