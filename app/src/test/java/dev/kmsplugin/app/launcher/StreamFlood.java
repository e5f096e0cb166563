package dev.kmsplugin.app.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An attacker on the socket: raw HTTP/2 connections, each opening many KMS Decrypt streams whose gRPC message
 * announces {@code declared} bytes that never arrive. Frames are written by hand (HPACK literals without indexing),
 * so nothing here depends on a client library's own limits.
 */
final class StreamFlood implements AutoCloseable {

    private static final byte[] MAGIC = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private final List<SocketChannel> connections = new ArrayList<>();
    private int refused;
    private long written;

    /** Opens {@code connections} connections with {@code streams} unfinished Decrypt streams each. */
    StreamFlood open(Path socket, int connections, int streams, int declared) throws IOException {
        return open(socket, connections, streams, declared, 0);
    }

    /**
     * As {@link #open(Path, int, int, int)}, each stream also sending {@code sent} bytes of its message (fewer than
     * it declared). Writes stop on a connection as soon as the server's flow control holds them back.
     */
    StreamFlood open(Path socket, int connections, int streams, int declared, int sent) throws IOException {
        for (int c = 0; c < connections; c++) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(MAGIC);
                frame(out, 4, 0, 0, new byte[0]); // SETTINGS
                for (int s = 0; s < streams; s++) {
                    int id = 1 + 2 * s;
                    frame(out, 1, 0x4, id, headers()); // HEADERS, END_HEADERS
                    byte[] prefix = {0, (byte) (declared >>> 24), (byte) (declared >>> 16), (byte) (declared >>> 8),
                        (byte) declared};
                    frame(out, 0, 0, id, prefix); // DATA: the gRPC length prefix ...
                    for (int left = sent; left > 0; left -= 16_384) {
                        frame(out, 0, 0, id, new byte[Math.min(left, 16_384)]); // ... and part of the message
                    }
                }
                ByteBuffer bytes = ByteBuffer.wrap(out.toByteArray());
                channel.configureBlocking(false);
                int n;
                do {
                    n = channel.write(bytes);
                    written += n;
                } while (bytes.hasRemaining() && n > 0);
                this.connections.add(channel);
            } catch (IOException closedByServer) {
                refused++;
                channel.close();
            }
        }
        return this;
    }

    /** Bytes the server took in, over all connections. */
    long written() {
        return written;
    }

    /** Connections the server closed while they were being opened. */
    int refused() {
        return refused;
    }

    /**
     * Reads what the server sent on the first connection for up to {@code millis}, and counts the streams it ended
     * (RST_STREAM frames, or HEADERS frames with END_STREAM: trailers with a status).
     */
    int streamsEndedOnFirst(long millis) throws IOException, InterruptedException {
        SocketChannel channel = connections.get(0);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        long deadline = System.nanoTime() + millis * 1_000_000L;
        int ended = 0;
        while (System.nanoTime() < deadline) {
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                break;
            }
            received.write(buffer.array(), 0, n);
            ended = countEnded(received.toByteArray());
            if (n == 0) {
                Thread.sleep(50);
            }
        }
        return ended;
    }

    private static int countEnded(byte[] bytes) {
        int ended = 0;
        int at = 0;
        while (at + 9 <= bytes.length) {
            int length = (bytes[at] & 0xff) << 16 | (bytes[at + 1] & 0xff) << 8 | bytes[at + 2] & 0xff;
            int type = bytes[at + 3] & 0xff;
            int flags = bytes[at + 4] & 0xff;
            if (at + 9 + length > bytes.length) {
                break;
            }
            if (type == 3 || type == 1 && (flags & 0x1) != 0) {
                ended++;
            }
            at += 9 + length;
        }
        return ended;
    }

    private static byte[] headers() {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        literal(block, ":method", "POST");
        literal(block, ":scheme", "http");
        literal(block, ":path", "/v2.KeyManagementService/Decrypt");
        literal(block, ":authority", "localhost");
        literal(block, "content-type", "application/grpc");
        literal(block, "te", "trailers");
        return block.toByteArray();
    }

    /** HPACK "literal header field without indexing, new name", lengths below 127, no Huffman coding. */
    private static void literal(ByteArrayOutputStream block, String name, String value) {
        block.write(0);
        block.write(name.length());
        block.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        block.write(value.length());
        block.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
    }

    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    int size() {
        return connections.size();
    }

    @Override
    public void close() {
        for (SocketChannel channel : connections) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the flood ends
            }
        }
        connections.clear();
    }
}
