package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.domain.failure.KmsException;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 server for probes and scrapes, on one selector thread: exact paths, GET and HEAD only, one request
 * per connection, and answers that are always one line of text (a failing route yields 503 with a one-line reason,
 * never a stack trace).
 *
 * <p>Slow clients cannot starve the probes: {@link RequestIo} reads heads without a thread per connection, bounded in
 * size and time, and only a complete request reaches the worker pool; {@link Admission} caps connections per local
 * user (from {@code /proc/net/tcp*}) and in all, giving a user below its share a slot of the one holding the most.
 */
public final class OpsHttpServer implements AutoCloseable {

    private static final Logger LOG = System.getLogger(OpsHttpServer.class.getName());
    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int ACCEPTS_PER_ROUND = 256;
    private static final int QUEUED_REQUESTS = 64;

    @FunctionalInterface
    public interface Route {
        HttpAnswer answer() throws Exception;
    }

    /** What one endpoint serves: its name in logs and thread names, its routes (exact paths) and its limits. */
    record Endpoint(String name, Map<String, Route> routes, OpsHttpLimits limits) {
    }

    private final Endpoint endpoint;
    private final PeerUids peerUids;
    private final ServerSocketChannel listener;
    private final SelectionKey accepting;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final String address;
    private final Thread loop;
    private final Admission admission;
    private final RequestIo requests;
    private final FloodLog notes;
    private final AtomicLong timedOut = new AtomicLong();
    private volatile boolean running = true;
    private long acceptPausedUntil;
    private long nextSweep;

    private OpsHttpServer(Endpoint endpoint, PeerUids peerUids, ServerSocketChannel listener, Selector selector)
            throws IOException {
        this.accepting = listener.keyFor(selector);
        this.endpoint = endpoint;
        this.peerUids = peerUids;
        this.listener = listener;
        this.selector = selector;
        InetSocketAddress bound = (InetSocketAddress) listener.getLocalAddress();
        String host = bound.getAddress().getHostAddress();
        this.address = (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
        AtomicInteger threads = new AtomicInteger();
        // On-demand threads; routes may block (liveness calls the plugin), and a full queue answers 503 at once.
        int workerCount = endpoint.limits().workers();
        this.workers = new ThreadPoolExecutor(workerCount, workerCount, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED_REQUESTS), task -> {
                    Thread thread = new Thread(task, "kms-" + endpoint.name() + "-http-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.workers.allowCoreThreadTimeOut(true);
        this.notes = new FloodLog(endpoint.name() + " endpoint", LOG);
        this.admission = new Admission(endpoint.limits(), selector, notes::note);
        this.requests = new RequestIo(endpoint, workers, selector, admission::close, notes::note);
        this.loop = new Thread(this::run, "kms-" + endpoint.name() + "-http-selector");
        this.loop.setDaemon(true);
    }

    /**
     * Binds {@code address} and starts answering {@code routes} (exact paths) within {@code limits}, finding the
     * users of connections with {@code peerUids}.
     *
     * @param setting the flags that choose the address, named in the error when it cannot be bound
     * @throws KmsException.Misconfigured when the address is in use or cannot be bound: one line saying which
     */
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
            OpsHttpServer server = new OpsHttpServer(new Endpoint(name, new LinkedHashMap<>(routes), limits), peerUids,
                    listener, selector);
            server.loop.start();
            LOG.log(Level.INFO, "{0} endpoint listening on http://{1} (paths {2})", name, server.address(),
                    String.join(", ", routes.keySet()));
            address.exposure(name, setting).ifPresent(warning -> LOG.log(Level.WARNING, warning));
            return server;
        } catch (BindException e) {
            closeQuietly(listener, selector);
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + (e.getMessage() == null ? "address in use" : e.getMessage().toLowerCase(Locale.ROOT))
                    + "; another process holds the port, or choose another with " + setting);
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            closeQuietly(listener, selector);
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + (e instanceof UnresolvedAddressException
                            ? "cannot resolve " + address.host() : HttpAnswer.firstLine(e))
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
        return admission.refused();
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
                    notes.note("selector failed: " + HttpAnswer.firstLine(e));
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
                            now + endpoint.limits().requestTimeout().toNanos()));
                } catch (IOException e) {
                    closeQuietly(channel, null);
                }
            }
        } catch (IOException e) {
            // Out of file descriptors, most likely: stop accepting for a moment rather than spin on the error
            // (the listener stays readable while connections wait, so its interest is dropped too).
            acceptPausedUntil = now + SWEEP_NANOS;
            accepting.interestOps(0);
            notes.note("accept failed: " + HttpAnswer.firstLine(e));
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
            admission.admit(connection);
        }
    }

    private static boolean fromThisHost(PeerUids.Ends ends) {
        return ends.peer().getAddress().isLoopbackAddress()
                || ends.peer().getAddress().equals(ends.local().getAddress());
    }

    private void sweep(long now) {
        List<OpsConnection> late = new ArrayList<>();
        for (OpsConnection connection : admission.open()) {
            if (connection.state != OpsConnection.State.WORKING && now - connection.deadline > 0) {
                late.add(connection);
            }
        }
        for (OpsConnection connection : late) {
            if (connection.state == OpsConnection.State.READING) {
                timedOut.incrementAndGet();
                notes.note(connection.peer.description() + " did not finish a request within "
                        + endpoint.limits().requestTimeout().toMillis() + " ms");
                try {
                    connection.channel.write(ByteBuffer.wrap(HttpAnswer.text(408, "request timeout").bytes(false,
                            "")));
                } catch (IOException e) {
                    // closing anyway
                }
            }
            admission.close(connection);
        }
        notes.flushIfDue(now);
    }

    static void closeQuietly(java.io.Closeable first, java.io.Closeable second) {
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
        LOG.log(Level.INFO, "{0} endpoint on {1} closed", endpoint.name(), address());
    }
}
