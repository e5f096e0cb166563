package dev.kmsplugin.adapter.grpc;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Bare unix-socket connections that send the HTTP/2 client preface and nothing else, as a flood would. */
final class RawConnections implements AutoCloseable {

    /** The client connection preface: the magic string, then an empty SETTINGS frame. */
    static final byte[] PREFACE = preface();

    private static byte[] preface() {
        byte[] magic = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
        byte[] preface = java.util.Arrays.copyOf(magic, magic.length + settings.length);
        System.arraycopy(settings, 0, preface, magic.length, settings.length);
        return preface;
    }

    private final List<SocketChannel> channels = new ArrayList<>();
    private int closedWhileOpening;

    /** Opens {@code count} connections to {@code socket}, each sending only the preface. */
    RawConnections open(Path socket, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            try {
                channel.write(ByteBuffer.wrap(PREFACE));
            } catch (IOException closedAlready) { // the server closed it before the preface was written
                closedWhileOpening++;
                channel.close();
                continue;
            }
            channel.configureBlocking(false);
            channels.add(channel);
        }
        return this;
    }

    /**
     * How many connections the server has closed (read gives end-of-stream or a reset), counted as soon as at least
     * {@code expected} are; {@code guardMillis} only bounds a hang, so make it generous.
     */
    int awaitClosed(int expected, long guardMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + guardMillis;
        boolean[] closed = new boolean[channels.size()];
        ByteBuffer sink = ByteBuffer.allocate(4096);
        int count = closedWhileOpening;
        do {
            for (int i = 0; i < channels.size(); i++) {
                if (closed[i]) {
                    continue;
                }
                try {
                    sink.clear();
                    if (channels.get(i).read(sink) < 0) {
                        closed[i] = true;
                        count++;
                    }
                } catch (IOException reset) {
                    closed[i] = true;
                    count++;
                }
            }
            Thread.sleep(20);
        } while (count < expected && System.currentTimeMillis() < deadline);
        return count;
    }

    int size() {
        return channels.size() + closedWhileOpening;
    }

    @Override
    public void close() {
        for (SocketChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a test connection
            }
        }
        channels.clear();
    }
}
