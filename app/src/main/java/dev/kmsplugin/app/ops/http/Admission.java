package dev.kmsplugin.app.ops.http;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Who may hold an ops endpoint's connections, on the selector thread: at most {@code maxConnectionsPerUid} per local
 * user (or client address) and {@code maxConnections} in all; at the global cap, a peer below its share takes the
 * oldest unfinished connection of the peer holding the most, so the kubelet's probe gets in while another user holds
 * hundreds of slow connections.
 */
final class Admission {

    private final OpsHttpLimits limits;
    private final Selector selector;
    private final Consumer<String> noter;
    private final Set<OpsConnection> open = new LinkedHashSet<>();
    private final Map<OpsConnection.Peer, ArrayDeque<OpsConnection>> byPeer = new HashMap<>();
    private final AtomicLong refused = new AtomicLong();

    /** @param noter notes a refusal for the rate-limited log */
    Admission(OpsHttpLimits limits, Selector selector, Consumer<String> noter) {
        this.limits = limits;
        this.selector = selector;
        this.noter = noter;
    }

    /** Connections closed at accept: over their user's cap, over the global cap, or taken back for a fairer share. */
    long refused() {
        return refused.get();
    }

    /** The open connections, oldest first (a copy: the caller may close some). */
    List<OpsConnection> open() {
        return List.copyOf(open);
    }

    /** Registers {@code connection} for reading, or closes it when its peer (or everyone) is at the cap. */
    void admit(OpsConnection connection) {
        ArrayDeque<OpsConnection> own = byPeer.computeIfAbsent(connection.peer, peer -> new ArrayDeque<>());
        if (own.size() >= limits.maxConnectionsPerUid()) {
            refuse(connection, connection.peer.description() + " is at its cap of " + limits.maxConnectionsPerUid()
                    + " connections");
            return;
        }
        if (open.size() >= limits.maxConnections() && !makeRoomFor(own)) {
            refuse(connection, "all " + limits.maxConnections() + " connections are taken and "
                    + connection.peer.description() + " already holds its share");
            return;
        }
        try {
            connection.key = connection.channel.register(selector, SelectionKey.OP_READ, connection);
        } catch (IOException e) {
            OpsHttpServer.closeQuietly(connection.channel, null);
            dropIfEmpty(connection.peer, own);
            return;
        }
        own.addLast(connection);
        open.add(connection);
    }

    /** At the global cap: a peer holding fewer than the largest holder takes that holder's oldest unfinished request. */
    private boolean makeRoomFor(ArrayDeque<OpsConnection> own) {
        ArrayDeque<OpsConnection> largest = null;
        for (ArrayDeque<OpsConnection> held : byPeer.values()) {
            if (largest == null || held.size() > largest.size()) {
                largest = held;
            }
        }
        if (largest == null || largest == own || largest.size() <= own.size() + 1) {
            return false;
        }
        for (OpsConnection victim : largest) {
            if (victim.state == OpsConnection.State.READING) {
                refused.incrementAndGet();
                close(victim);
                noter.accept(victim.peer.description() + " gave up a connection to a peer below its share");
                return true;
            }
        }
        return false;
    }

    private void refuse(OpsConnection connection, String why) {
        refused.incrementAndGet();
        OpsHttpServer.closeQuietly(connection.channel, null);
        dropIfEmpty(connection.peer, byPeer.get(connection.peer));
        noter.accept("refused a connection: " + why + " (--ops-max-conns-per-uid and kms.ops-http set the caps)");
    }

    private void dropIfEmpty(OpsConnection.Peer peer, ArrayDeque<OpsConnection> held) {
        if (held != null && held.isEmpty()) {
            byPeer.remove(peer);
        }
    }

    /** Closes {@code connection} and forgets it. */
    void close(OpsConnection connection) {
        OpsHttpServer.closeQuietly(connection.channel, null);
        if (open.remove(connection)) {
            ArrayDeque<OpsConnection> held = byPeer.get(connection.peer);
            if (held != null) {
                held.remove(connection);
                dropIfEmpty(connection.peer, held);
            }
        }
    }
}
