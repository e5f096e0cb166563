package dev.kmsplugin.adapter.etcd.storage;

/** Just enough of the protobuf wire format to walk the fields of one message; bounds-checked throughout. */
final class ProtoWire {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] bytes;
    private int position;
    private final int end;

    ProtoWire(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.position = offset;
        this.end = bytes.length;
    }

    boolean atEnd() {
        return position >= end;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                throw new IllegalArgumentException("a varint is cut short");
            }
            int b = bytes[position++] & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("a varint is longer than 10 bytes");
    }

    /** Reads a length-delimited field's payload as [start, start+length) and moves past it. */
    int[] lengthDelimited() {
        long length = varint();
        if (length < 0 || length > end - position) {
            throw new IllegalArgumentException("a field claims " + length + " bytes but " + (end - position)
                    + " remain");
        }
        int start = position;
        position += (int) length;
        return new int[] {start, (int) length};
    }

    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> lengthDelimited();
            case FIXED32 -> advance(4);
            default -> throw new IllegalArgumentException("wire type " + wireType + " is not valid here");
        }
    }

    private void advance(int n) {
        if (n > end - position) {
            throw new IllegalArgumentException("a fixed-width field is cut short");
        }
        position += n;
    }
}
