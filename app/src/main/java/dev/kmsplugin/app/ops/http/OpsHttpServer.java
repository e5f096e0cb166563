package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 server for probes and scrapes, on one selector thread: exact paths, GET and HEAD only, one request
 * per connection, and answers that are always one line of text (a failing route yields 503 with a one-line reason,
 * never a stack trace).
 *
 * <p>Slow clients cannot starve the probes. The selector reads request heads without blocking and without a thread
 * per connection; a head is bounded in size and in time from accept; only a complete request reaches the small
 * worker pool that runs routes. Connections are capped per local user (the owner of the client socket, from
 * {@code /proc/net/tcp*}; per client address when that is not known) and in all, and at the global cap a user below
 * its share takes a slot from the user holding the most, so the kubelet's probe gets in while another user holds
 * hundreds of slow connections.
 */
public final class OpsHttpServer implements AutoCloseable {

    private static final Logger LOG = System.getLogger(OpsHttpServer.class.getName());
    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int ACCEPTS_PER_ROUND = 256;
    private static final int QUEUED_REQUESTS = 64;

    @FunctionalInterface
    public interface Route {
        HttpAnswer answer() throws Exception;
    }

    private final String name;
    private final Map<String, Route> routes;
    private final OpsHttpLimits limits;
    private final PeerUids peerUids;
    private final ServerSocketChannel listener;
    private final SelectionKey accepting;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final String address;
    private final Thread loop;
    private final Set<OpsConnection> open = new LinkedHashSet<>();
    private final Map<OpsConnection.Peer, ArrayDeque<OpsConnection>> byPeer = new HashMap<>();
    private final RequestIo requests;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private volatile boolean running = true;
    private long acceptPausedUntil;
    private long nextSweep;
    private long nextLog;
    private long unlogged;
    private String lastEvent = "";

    private OpsHttpServer(String name, Map<String, Route> routes, OpsHttpLimits limits,
                          PeerUids peerUids, ServerSocketChannel listener, Selector selector) throws IOException {
        this.accepting = listener.keyFor(selector);
        this.name = name;
        this.routes = routes;
        this.limits = limits;
        this.peerUids = peerUids;
        this.listener = listener;
        this.selector = selector;
        InetSocketAddress bound = (InetSocketAddress) listener.getLocalAddress();
        String host = bound.getAddress().getHostAddress();
        this.address = (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
        AtomicInteger threads = new AtomicInteger();
        // Threads start on demand and end when idle. Routes may block (liveness calls the plugin through its socket);
        // when every worker is busy and the queue is full, a request is answered 503 at once.
        this.workers = new ThreadPoolExecutor(limits.workers(), limits.workers(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED_REQUESTS), task -> {
                    Thread thread = new Thread(task, "kms-" + name + "-http-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.workers.allowCoreThreadTimeOut(true);
        this.requests = new RequestIo(routes, limits, workers, selector, this::close, this::note);
        this.loop = new Thread(this::run, "kms-" + name + "-http-selector");
        this.loop.setDaemon(true);
    }

    /**
     * Binds {@code address} and starts answering {@code routes} (exact paths) within the default limits.
     *
     * @param setting the flags that choose the address, named in the error when it cannot be bound
     * @throws KmsException.Misconfigured when the address is in use or cannot be bound: one line saying which
     */
    public static OpsHttpServer start(String name, OpsAddress address, String setting, Map<String, Route> routes) {
        return start(name, address, setting, routes, OpsHttpLimits.defaults(), PeerUids.procNet());
    }

    /** {@link #start(String, OpsAddress, String, Map)} within {@code limits}, finding users with {@code peerUids}. */
    /**
     * The warning for an address that is not loopback: the endpoint is then reachable from other hosts (the
     * wildcard address listens on every interface, IPv6 included), which its operator should have chosen knowingly.
     */
    public static java.util.Optional<String> exposure(String name, OpsAddress address, String setting) {
        java.net.InetAddress bound = address.socketAddress().getAddress();
        if (bound != null && bound.isLoopbackAddress()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(name + " endpoint listens on " + address + ", which is not loopback"
                + (bound != null && bound.isAnyLocalAddress() ? " (every interface, IPv6 included)" : "")
                + ": other hosts can reach it; unless that is intended, set " + setting + " to 127.0.0.1");
    }

    public static OpsHttpServer start(String name, OpsAddress address, String setting, Map<String, Route> routes,
                               OpsHttpLimits limits, PeerUids peerUids) {
        ServerSocketChannel listener = null;
        Selector selector = null;
        try {
            listener = ServerSocketChannel.open();
            selector = Selector.open();
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(address.socketAddress(), 128);
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            OpsHttpServer server = new OpsHttpServer(name, new LinkedHashMap<>(routes), limits, peerUids,
                    listener, selector);
            server.loop.start();
            LOG.log(Level.INFO, "{0} endpoint listening on http://{1} (paths {2})", name, server.address(),
                    String.join(", ", routes.keySet()));
            exposure(name, address, setting).ifPresent(warning -> LOG.log(Level.WARNING, warning));
            return server;
        } catch (BindException e) {
            closeQuietly(listener, selector);
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + (e.getMessage() == null ? "address in use" : e.getMessage().toLowerCase(Locale.ROOT))
                    + "; another process holds the port, or choose another with " + setting);
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            closeQuietly(listener, selector);
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + (e instanceof UnresolvedAddressException ? "cannot resolve " + address.host() : oneLine(e))
                    + "; check " + setting);
        }
    }

    /** The bound address; its port is the real one when port 0 was asked for. */
    public String address() {
        return address;
    }

    public int port() {
        return ((InetSocketAddress) listener.socket().getLocalSocketAddress()).getPort();
    }

    /** Connections closed at accept: over their user's cap, over the global cap, or taken back for a fairer share. */
    public long refusedConnections() {
        return refused.get();
    }

    /** Connections closed because their request was not complete within the request timeout. */
    public long timedOutConnections() {
        return timedOut.get();
    }

    /** Requests refused by the parser (400, 431, 505) or because every worker was busy (503). */
    public long rejectedRequests() {
        return requests.rejected();
    }

    // ---- the selector thread: everything below runs on it, so its state needs no locks

    private void run() {
        while (running) {
            try {
                selector.select(key -> {
                    if (!key.isValid()) {
                        return;
                    }
                    if (key.channel() == listener) {
                        return; // accepted below, after the round, so one /proc scan serves them all
                    }
                    OpsConnection connection = (OpsConnection) key.attachment();
                    if (connection.state == OpsConnection.State.WRITING && key.isWritable()) {
                        requests.write(connection);
                    } else if (key.isReadable()) {
                        requests.read(connection);
                    }
                }, 100);
                acceptAll();
                requests.sendReplies();
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    nextSweep = now + SWEEP_NANOS;
                    sweep(now);
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    note("selector failed: " + oneLine(e));
                }
            }
        }
    }

    private void acceptAll() {
        long now = System.nanoTime();
        if (acceptPausedUntil != 0) {
            if (now - acceptPausedUntil < 0) {
                return;
            }
            acceptPausedUntil = 0;
            accepting.interestOps(SelectionKey.OP_ACCEPT);
        }
        List<OpsConnection> fresh = new ArrayList<>();
        try {
            SocketChannel channel;
            while (fresh.size() < ACCEPTS_PER_ROUND && (channel = listener.accept()) != null) {
                try {
                    channel.configureBlocking(false);
                    fresh.add(new OpsConnection(channel, new PeerUids.Ends(
                            (InetSocketAddress) channel.getRemoteAddress(),
                            (InetSocketAddress) channel.getLocalAddress()),
                            now + limits.requestTimeout().toNanos()));
                } catch (IOException e) {
                    closeQuietly(channel, null);
                }
            }
        } catch (IOException e) {
            // Out of file descriptors, most likely: stop accepting for a moment rather than spin on the error
            // (the listener stays readable while connections wait, so its interest is dropped too).
            acceptPausedUntil = now + SWEEP_NANOS;
            accepting.interestOps(0);
            note("accept failed: " + oneLine(e));
        }
        if (fresh.isEmpty()) {
            return;
        }
        List<PeerUids.Ends> local = new ArrayList<>();
        for (OpsConnection connection : fresh) {
            if (fromThisHost(connection.ends)) {
                local.add(connection.ends);
            }
        }
        Map<PeerUids.Ends, Integer> uids = local.isEmpty() ? Map.of() : peerUids.uids(local);
        for (OpsConnection connection : fresh) {
            Integer uid = uids.get(connection.ends);
            connection.peer = uid != null ? OpsConnection.Peer.uid(uid)
                    : OpsConnection.Peer.address(connection.ends.peer());
            admit(connection);
        }
    }

    private static boolean fromThisHost(PeerUids.Ends ends) {
        return ends.peer().getAddress().isLoopbackAddress()
                || ends.peer().getAddress().equals(ends.local().getAddress());
    }

    private void admit(OpsConnection connection) {
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
            closeQuietly(connection.channel, null);
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
                note(victim.peer.description() + " gave up a connection to a peer below its share");
                return true;
            }
        }
        return false;
    }

    private void refuse(OpsConnection connection, String why) {
        refused.incrementAndGet();
        closeQuietly(connection.channel, null);
        dropIfEmpty(connection.peer, byPeer.get(connection.peer));
        note("refused a connection: " + why + " (--ops-max-conns-per-uid and kms.ops-http set the caps)");
    }

    private void dropIfEmpty(OpsConnection.Peer peer, ArrayDeque<OpsConnection> held) {
        if (held != null && held.isEmpty()) {
            byPeer.remove(peer);
        }
    }

    private void sweep(long now) {
        List<OpsConnection> late = new ArrayList<>();
        for (OpsConnection connection : open) {
            if (connection.state != OpsConnection.State.WORKING && now - connection.deadline > 0) {
                late.add(connection);
            }
        }
        for (OpsConnection connection : late) {
            if (connection.state == OpsConnection.State.READING) {
                timedOut.incrementAndGet();
                note(connection.peer.description() + " did not finish a request within "
                        + limits.requestTimeout().toMillis() + " ms");
                try {
                    connection.channel.write(ByteBuffer.wrap(HttpAnswer.text(408, "request timeout").bytes(false,
                            "")));
                } catch (IOException e) {
                    // closing anyway
                }
            }
            close(connection);
        }
        if (unlogged > 0 && now - nextLog >= 0) {
            flushNotes(now);
        }
    }

    private void close(OpsConnection connection) {
        closeQuietly(connection.channel, null);
        if (open.remove(connection)) {
            ArrayDeque<OpsConnection> held = byPeer.get(connection.peer);
            if (held != null) {
                held.remove(connection);
                dropIfEmpty(connection.peer, held);
            }
        }
    }

    // Refusals and bad requests come in floods when someone tries: log the first, then a count at most every 10 s.
    private void note(String event) {
        unlogged++;
        lastEvent = event;
        long now = System.nanoTime();
        if (now - nextLog >= 0) {
            flushNotes(now);
        }
    }

    private void flushNotes(long now) {
        LOG.log(Level.WARNING, "{0} endpoint: {1} connection(s) refused or cut off in the last {2} s; last: {3}",
                name, unlogged, TimeUnit.NANOSECONDS.toSeconds(LOG_EVERY_NANOS), Messages.oneLine(lastEvent));
        unlogged = 0;
        nextLog = now + LOG_EVERY_NANOS;
    }

    /** The first line of an exception's message, or its simple class name when it has none. */
    public static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        // the first line says what failed; the rest is detail for the plugin's own log
        int newline = message.indexOf('\n');
        return Messages.oneLine(newline < 0 ? message : message.substring(0, newline));
    }

    private static void closeQuietly(java.io.Closeable first, java.io.Closeable second) {
        for (java.io.Closeable closeable : new java.io.Closeable[] {first, second}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (IOException e) {
                    // closing on the way out
                }
            }
        }
    }

    /** Stops listening at once (probes and scrapes are short; nothing needs draining) and frees the port. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            loop.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            closeQuietly(key.channel(), null);
        }
        closeQuietly(listener, selector);
        workers.shutdownNow();
        LOG.log(Level.INFO, "{0} endpoint on {1} closed", name, address());
    }
}
