package dev.kmsplugin.app.ops.http;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One client connection of an ops endpoint, as the selector thread sees it; all its fields are that thread's. */
final class OpsConnection {

    enum State {
        READING, WORKING, WRITING, LINGERING
    }

    /** Whom a connection is counted against: a local user, or a client address when the user is not known. */
    record Peer(String description) {
        static Peer uid(int uid) {
            return new Peer("uid " + uid);
        }

        static Peer address(InetSocketAddress address) {
            return new Peer("address " + address.getAddress().getHostAddress());
        }
    }

    final SocketChannel channel;
    final PeerUids.Ends ends;
    Peer peer;
    SelectionKey key;
    State state = State.READING;
    long deadline;
    byte[] data = new byte[512];
    int length;
    int scanned;
    ByteBuffer out;

    OpsConnection(SocketChannel channel, PeerUids.Ends ends, long deadline) {
        this.channel = channel;
        this.ends = ends;
        this.deadline = deadline;
    }
}
