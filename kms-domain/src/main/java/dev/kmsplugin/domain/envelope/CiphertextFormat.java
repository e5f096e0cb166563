package dev.kmsplugin.domain.envelope;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The self-describing ciphertext this plugin returns (docs/ciphertext-format.md describes it byte by byte).
 *
 * <pre>
 * offset      size  field
 * 0           1     marker 0xC5 (not printable ASCII: data written by the Go plugin is base64url text)
 * 1           1     format version, 1
 * 2           1     algorithm code ({@link Algorithm#code()})
 * 3           1     N = length of the key name
 * 4           N     key name, ASCII
 * 4+N         1     V = length of the key version
 * 5+N         V     key version, ASCII
 * 5+N+V       2     W = length of the wrapped key, unsigned big-endian
 * 7+N+V       W     wrapped key, as the backend produced it
 * </pre>
 * The header is bytes {@code [0, 5+N+V)}. Nothing may follow the wrapped key.
 */
public final class CiphertextFormat {

    public static final int MARKER = 0xC5;
    public static final int VERSION_1 = 1;

    private CiphertextFormat() {
    }

    /** True when {@code ciphertext} starts with this plugin's marker (whatever its format version). */
    public static boolean isOurs(Ciphertext ciphertext) {
        return ciphertext.byteAt(0) == MARKER;
    }

    public static Ciphertext encode(SealedDataKey sealed) {
        return sealed.read(CiphertextFormat::encode);
    }

    /** The ciphertext of {@code wrapped} under {@code header} (as {@link #header} gives it for the key version). */
    public static Ciphertext encode(byte[] wrapped, byte[] header) {
        if (wrapped.length == 0) {
            throw new KmsException.InvalidInput("wrapped key is empty");
        }
        if (wrapped.length > 0xffff) {
            throw new KmsException.InvalidInput("wrapped key of " + wrapped.length + " bytes does not fit the format");
        }
        int size = header.length + 2 + wrapped.length;
        if (size > Ciphertext.MAX_BYTES) {
            throw new KmsException.Misconfigured("the ciphertext would be " + size + " bytes, above the "
                    + Ciphertext.MAX_BYTES + "-byte limit of the apiserver; use a shorter key name or a smaller key");
        }
        byte[] out = Arrays.copyOf(header, size);
        out[header.length] = (byte) (wrapped.length >>> 8);
        out[header.length + 1] = (byte) wrapped.length;
        System.arraycopy(wrapped, 0, out, header.length + 2, wrapped.length);
        return new Ciphertext(out);
    }

    public static SealedDataKey decode(Ciphertext ciphertext) {
        byte[] bytes = ciphertext.bytes();
        Reader in = new Reader(bytes);
        if (in.u8("marker") != MARKER) {
            throw malformed("it does not start with this plugin's marker");
        }
        int version = in.u8("format version");
        if (version != VERSION_1) {
            throw new KmsException.InvalidInput("ciphertext uses format version " + version
                    + ", which this release cannot read; upgrade the plugin");
        }
        Algorithm algorithm = Algorithm.ofCode(in.u8("algorithm"));
        String name = in.text("key name", in.u8("key name length"));
        String keyVersion = in.text("key version", in.u8("key version length"));
        KeyRef key;
        try {
            key = new KeyRef(name, keyVersion);
        } catch (KmsException.InvalidInput e) {
            throw malformed(e.getMessage());
        }
        int headerEnd = in.position();
        int wrappedLength = in.u16("wrapped key length");
        if (wrappedLength == 0) {
            throw malformed("the wrapped key is empty");
        }
        byte[] wrapped = in.bytes("wrapped key", wrappedLength);
        if (in.remaining() != 0) {
            throw malformed(in.remaining() + " unexpected bytes follow the wrapped key");
        }
        return new SealedDataKey(algorithm, key, wrapped, Arrays.copyOf(bytes, headerEnd));
    }

    /** The header of a ciphertext wrapped with {@code algorithm} under {@code key}: the AAD backends bind. */
    public static byte[] header(Algorithm algorithm, KeyRef key) {
        byte[] name = key.name().getBytes(StandardCharsets.US_ASCII);
        byte[] version = key.version().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(5 + name.length + version.length);
        out.write(MARKER);
        out.write(VERSION_1);
        out.write(algorithm.code());
        out.write(name.length);
        out.writeBytes(name);
        out.write(version.length);
        out.writeBytes(version);
        return out.toByteArray();
    }

    private static KmsException.InvalidInput malformed(String why) {
        return new KmsException.InvalidInput("ciphertext is malformed: " + why);
    }

    /** Bounds-checked reading; every failure names the field that was cut short. */
    private static final class Reader {
        private final byte[] bytes;
        private int position;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        int position() {
            return position;
        }

        int remaining() {
            return bytes.length - position;
        }

        int u8(String field) {
            need(field, 1);
            return bytes[position++] & 0xff;
        }

        int u16(String field) {
            need(field, 2);
            int value = ((bytes[position] & 0xff) << 8) | (bytes[position + 1] & 0xff);
            position += 2;
            return value;
        }

        byte[] bytes(String field, int length) {
            need(field, length);
            byte[] slice = Arrays.copyOfRange(bytes, position, position + length);
            position += length;
            return slice;
        }

        String text(String field, int length) {
            return new String(bytes(field, length), StandardCharsets.US_ASCII);
        }

        private void need(String field, int length) {
            if (remaining() < length) {
                throw malformed("it ends inside the " + field + " (truncated?)");
            }
        }
    }
}
