package dev.kmsplugin.adapter.etcd.client;

import java.io.ByteArrayOutputStream;

/**
 * Just enough DER to re-wrap a PKCS#1 or SEC1 private key as PKCS#8: read one tag-length-value, write one. Errors
 * describe the structure only, never the bytes.
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    static final int CONTEXT_0 = 0xa0;

    /** rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017). */
    static final byte[] RSA_ENCRYPTION = {OID, 9, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 1, 1, 1};
    /** RSASSA-PSS, 1.2.840.113549.1.1.10. */
    static final byte[] RSASSA_PSS = {OID, 9, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 1, 1, 10};
    /** id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480). */
    static final byte[] EC_PUBLIC_KEY = {OID, 7, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 2, 1};
    /** id-Ed25519, 1.3.101.112 (RFC 8410). */
    static final byte[] ED25519 = {OID, 3, 0x2b, 0x65, 0x70};

    private Der() {
    }

    /** One element: its tag, and where its content and the whole element sit in {@code bytes}. */
    record Element(byte[] bytes, int tag, int start, int contentStart, int end) {

        int contentLength() {
            return end - contentStart;
        }

        /** The whole element, tag and length included. */
        byte[] encoded() {
            return java.util.Arrays.copyOfRange(bytes, start, end);
        }

        /** The first element inside this one. */
        Element first() {
            return read(bytes, contentStart, end);
        }

        /** The element after this one, within {@code limit}; null at the limit. */
        Element next(int limit) {
            return end >= limit ? null : read(bytes, end, limit);
        }

        boolean isSmallInteger(int value) {
            return tag == INTEGER && contentLength() == 1 && bytes[contentStart] == value;
        }
    }

    /** The element at {@code offset}, which must end by {@code limit}. */
    static Element read(byte[] bytes, int offset, int limit) {
        if (offset + 2 > limit) {
            throw new IllegalArgumentException("truncated DER");
        }
        int tag = bytes[offset] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw new IllegalArgumentException("unexpected multi-byte DER tag");
        }
        int first = bytes[offset + 1] & 0xff;
        int position = offset + 2;
        long length;
        if (first < 0x80) {
            length = first;
        } else {
            int count = first & 0x7f;
            if (count == 0 || count > 3 || position + count > limit) {
                throw new IllegalArgumentException("bad DER length");
            }
            length = 0;
            for (int i = 0; i < count; i++) {
                length = (length << 8) | (bytes[position++] & 0xff);
            }
        }
        if (position + length > limit) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new Element(bytes, tag, offset, position, (int) (position + length));
    }

    /** The single element that {@code bytes} must consist of. */
    static Element whole(byte[] bytes) {
        Element element = read(bytes, 0, bytes.length);
        if (element.end() != bytes.length) {
            throw new IllegalArgumentException("trailing bytes after the DER structure");
        }
        return element;
    }

    /** An element with {@code tag} around {@code parts}, concatenated. */
    static byte[] encode(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >> 16);
            out.write(length >> 8);
            out.write(length);
        }
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
