package dev.kmsplugin.adapter.etcd.storage;

import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Classifies a value as kube-apiserver stores it in etcd (k8s.io/apiserver, storage/value/encrypt):
 * <ul>
 *   <li>{@code k8s:enc:kms:v2:<name>:} + protobuf {@code EncryptedObject}: 1 encryptedData, 2 keyID,
 *       3 encryptedDEKSource (the plugin's Encrypt ciphertext), 4 annotations, 5 encryptedDEKSourceType;</li>
 *   <li>{@code k8s:enc:kms:v1:<name>:} + 2-byte big-endian length + encrypted DEK + encrypted data;</li>
 *   <li>{@code k8s:enc:aescbc:v1:<name>:}, {@code aesgcm}, {@code secretbox}: other providers;</li>
 *   <li>anything else: identity (stored in the clear).</li>
 * </ul>
 * Only headers and key IDs are read; nothing is decrypted.
 */
public final class StorageFormat {

    static final String ENCRYPTED = "k8s:enc:";
    private static final String KMS_V1 = "k8s:enc:kms:v1:";
    private static final String KMS_V2 = "k8s:enc:kms:v2:";
    private static final String[] OTHER_TYPES = {"aescbc", "aesgcm", "secretbox"};

    private StorageFormat() {
    }

    public static StoredValue classify(byte[] value) {
        if (!startsWith(value, ENCRYPTED)) {
            return new StoredValue.Identity();
        }
        if (startsWith(value, KMS_V2)) {
            return kms(value, KMS_V2.length(), "v2");
        }
        if (startsWith(value, KMS_V1)) {
            return kms(value, KMS_V1.length(), "v1");
        }
        for (String type : OTHER_TYPES) {
            String prefix = ENCRYPTED + type + ":v1:";
            if (startsWith(value, prefix)) {
                int colon = indexOf(value, (byte) ':', prefix.length());
                if (colon <= prefix.length()) {
                    return new StoredValue.Unreadable(type + " value without a provider name");
                }
                return new StoredValue.OtherProvider(type, ascii(value, prefix.length(), colon));
            }
        }
        return new StoredValue.Unreadable("unknown encryption prefix "
                + printable(value, 0, Math.min(value.length, indexOfOr(value, (byte) ':', ENCRYPTED.length()) + 1)));
    }

    private static StoredValue kms(byte[] value, int start, String api) {
        int colon = indexOf(value, (byte) ':', start);
        if (colon <= start) {
            return new StoredValue.Unreadable("KMS " + api + " value without a provider name");
        }
        String provider = ascii(value, start, colon);
        try {
            return "v2".equals(api) ? v2(provider, value, colon + 1) : v1(provider, value, colon + 1);
        } catch (IllegalArgumentException e) {
            return new StoredValue.Unreadable("KMS " + api + " value of provider " + provider + ": " + e.getMessage());
        }
    }

    private static StoredValue v1(String provider, byte[] value, int offset) {
        if (value.length - offset < 2) {
            throw new IllegalArgumentException("the DEK length is cut short");
        }
        int length = (value[offset] & 0xff) << 8 | (value[offset + 1] & 0xff);
        int dekStart = offset + 2;
        if (length == 0 || length > value.length - dekStart) {
            throw new IllegalArgumentException("the DEK length " + length + " does not fit the "
                    + (value.length - dekStart) + " remaining bytes");
        }
        if (length == value.length - dekStart) {
            throw new IllegalArgumentException("no encrypted data follows the DEK");
        }
        byte[] dek = Arrays.copyOfRange(value, dekStart, dekStart + length);
        return new StoredValue.Kms(provider, "v1", Optional.empty(), ourVersion(dek), isOurs(dek));
    }

    private static StoredValue v2(String provider, byte[] value, int offset) {
        ProtoWire in = new ProtoWire(value, offset);
        boolean data = false;
        String keyId = null;
        byte[] source = null;
        while (!in.atEnd()) {
            long tag = in.varint();
            int field = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            if ((field == 1 || field == 2 || field == 3) && wireType != ProtoWire.LENGTH_DELIMITED) {
                throw new IllegalArgumentException("field " + field + " has wire type " + wireType);
            }
            switch (field) {
                case 1 -> data = in.lengthDelimited()[1] > 0;
                case 2 -> {
                    int[] span = in.lengthDelimited();
                    keyId = new String(value, span[0], span[1], StandardCharsets.UTF_8);
                }
                case 3 -> {
                    int[] span = in.lengthDelimited();
                    source = Arrays.copyOfRange(value, span[0], span[0] + span[1]);
                }
                case 0 -> throw new IllegalArgumentException("field number 0 is not valid protobuf");
                default -> in.skip(wireType);
            }
        }
        if (!data) {
            throw new IllegalArgumentException("EncryptedObject has no encryptedData");
        }
        if (keyId == null || keyId.isEmpty()) {
            throw new IllegalArgumentException("EncryptedObject has no keyID");
        }
        if (source == null || source.length == 0) {
            throw new IllegalArgumentException("EncryptedObject has no encryptedDEKSource");
        }
        return new StoredValue.Kms(provider, "v2", Optional.of(keyId), ourVersion(source), isOurs(source));
    }

    private static boolean isOurs(byte[] dek) {
        return (dek[0] & 0xff) == CiphertextFormat.MARKER;
    }

    /** The key version named by this plugin's header; a marked DEK that does not decode is unreadable. */
    private static Optional<KeyRef> ourVersion(byte[] dek) {
        if (!isOurs(dek)) {
            return Optional.empty();
        }
        try {
            SealedDataKey sealed = CiphertextFormat.decode(new Ciphertext(dek));
            return Optional.of(sealed.key());
        } catch (KmsException e) {
            throw new IllegalArgumentException("the sealed DEK carries this plugin's marker but " + e.getMessage());
        }
    }

    private static boolean startsWith(byte[] value, String prefix) {
        if (value.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (value[i] != (byte) prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] value, byte b, int from) {
        for (int i = from; i < value.length; i++) {
            if (value[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOfOr(byte[] value, byte b, int from) {
        int i = indexOf(value, b, from);
        return i < 0 ? value.length - 1 : i;
    }

    private static String ascii(byte[] value, int from, int to) {
        return printable(value, from, to);
    }

    /** ASCII with anything unprintable replaced, so that a message never carries raw stored bytes. */
    private static String printable(byte[] value, int from, int to) {
        StringBuilder out = new StringBuilder(Math.max(0, to - from));
        for (int i = from; i < to && i - from < 64; i++) {
            int c = value[i] & 0xff;
            out.append(c >= 0x21 && c < 0x7f ? (char) c : '?');
        }
        return out.toString();
    }
}
