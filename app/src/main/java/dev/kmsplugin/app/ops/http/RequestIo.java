package dev.kmsplugin.app.ops.http;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One request per connection, on the selector thread: reads the request head without blocking and within the size
 * limit, hands a complete GET or HEAD to a worker (the route may block), and writes the answer, then lingers until
 * the client closes. Routes' answers come back to the selector thread through {@link #sendReplies()}.
 */
final class RequestIo {

    private static final Logger LOG = System.getLogger(OpsHttpServer.class.getName());
    private static final long WRITE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record Reply(OpsConnection connection, byte[] bytes) {
    }

    private final OpsHttpServer.Endpoint endpoint;
    private final ThreadPoolExecutor workers;
    private final Selector selector;
    private final Consumer<OpsConnection> closer;
    private final Consumer<String> noter;
    private final ByteBuffer readBuffer;
    private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final AtomicLong rejected = new AtomicLong();

    /**
     * @param closer closes a connection and forgets it
     * @param noter  notes a refusal or a bad request for the rate-limited log
     */
    RequestIo(OpsHttpServer.Endpoint endpoint, ThreadPoolExecutor workers, Selector selector,
              Consumer<OpsConnection> closer, Consumer<String> noter) {
        this.endpoint = endpoint;
        this.workers = workers;
        this.selector = selector;
        this.closer = closer;
        this.noter = noter;
        this.readBuffer = ByteBuffer.allocate(Math.min(maxRequestBytes(), 16384));
    }

    private int maxRequestBytes() {
        return endpoint.limits().maxRequestBytes();
    }

    /** Requests refused by the parser (400, 431, 505) or because every worker was busy (503). */
    long rejected() {
        return rejected.get();
    }

    /** Sends the answers workers have finished since the last call. */
    void sendReplies() {
        Reply reply;
        while ((reply = replies.poll()) != null) {
            send(reply.connection(), reply.bytes());
        }
    }

    void read(OpsConnection connection) {
        if (connection.state == OpsConnection.State.LINGERING) {
            linger(connection);
            return;
        }
        int count;
        try {
            readBuffer.clear();
            readBuffer.limit(Math.min(readBuffer.capacity(), maxRequestBytes() - connection.length + 1));
            count = connection.channel.read(readBuffer);
        } catch (IOException e) {
            closer.accept(connection);
            return;
        }
        if (count < 0) {
            closer.accept(connection); // the client gave up before finishing its request
            return;
        }
        if (count == 0) {
            return;
        }
        if (connection.length + count > connection.data.length) {
            connection.data = Arrays.copyOf(connection.data,
                    Math.min(maxRequestBytes() + 1, Math.max(connection.data.length * 2,
                            connection.length + count)));
        }
        readBuffer.flip();
        readBuffer.get(connection.data, connection.length, count);
        connection.length += count;
        int end = RequestHead.scan(connection.data, connection.scanned, connection.length);
        if (end == -2) {
            reject(connection, 400, "lines must end in CRLF and hold no NUL");
            return;
        }
        if (end == -1) {
            if (connection.length > maxRequestBytes()) {
                reject(connection, 431, "request line and headers exceed " + maxRequestBytes() + " bytes");
            } else {
                connection.scanned = RequestHead.resumeAt(connection.data, connection.length);
            }
            return;
        }
        if (end > maxRequestBytes()) {
            reject(connection, 431, "request line and headers exceed " + maxRequestBytes() + " bytes");
            return;
        }
        RequestHead head = RequestHead.parse(connection.data, end);
        connection.data = null;
        if (head instanceof RequestHead.Refused refusedHead) {
            reject(connection, refusedHead.status(), refusedHead.reason());
        } else {
            dispatch(connection, (RequestHead.Request) head);
        }
    }

    private void dispatch(OpsConnection connection, RequestHead.Request request) {
        boolean head = request.method().equals("HEAD");
        OpsHttpServer.Route route = endpoint.routes().get(request.path());
        if (route == null) {
            send(connection, HttpAnswer.text(404, "not found: try " + String.join(", ", endpoint.routes().keySet()))
                    .bytes(head, ""));
            return;
        }
        if (!head && !request.method().equals("GET")) {
            send(connection, HttpAnswer.text(405, "method not allowed: use GET").bytes(false,
                    "Allow: GET, HEAD\r\n"));
            return;
        }
        connection.state = OpsConnection.State.WORKING;
        connection.key.interestOps(0);
        try {
            workers.execute(() -> {
                HttpAnswer answer;
                try {
                    answer = route.answer();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "{0} failed: {1}", request.path(), HttpAnswer.firstLine(e));
                    answer = HttpAnswer.text(503, HttpAnswer.firstLine(e));
                }
                replies.add(new Reply(connection, answer.bytes(head, "")));
                selector.wakeup();
            });
        } catch (RejectedExecutionException e) {
            rejected.incrementAndGet();
            noter.accept("every worker is busy; answered 503");
            send(connection, HttpAnswer.text(503, "busy: every worker is answering; try again").bytes(head, ""));
        }
    }

    private void reject(OpsConnection connection, int status, String reason) {
        rejected.incrementAndGet();
        noter.accept("answered " + status + " to " + connection.peer.description() + ": " + reason);
        send(connection, HttpAnswer.text(status, "bad request: " + reason).bytes(false, ""));
    }

    private void send(OpsConnection connection, byte[] bytes) {
        if (!connection.channel.isOpen()) {
            return;
        }
        connection.state = OpsConnection.State.WRITING;
        connection.deadline = System.nanoTime() + WRITE_NANOS;
        connection.out = ByteBuffer.wrap(bytes);
        write(connection);
        if (connection.state == OpsConnection.State.WRITING && connection.channel.isOpen()) {
            connection.key.interestOps(SelectionKey.OP_WRITE);
        }
    }

    void write(OpsConnection connection) {
        try {
            connection.channel.write(connection.out);
            if (!connection.out.hasRemaining()) {
                // Half-close and read what the client still sends until it closes too (1 s at most): closing with
                // unread bytes would reset the connection and could destroy the answer before the client reads it.
                connection.channel.shutdownOutput();
                connection.state = OpsConnection.State.LINGERING;
                connection.deadline = System.nanoTime() + LINGER_NANOS;
                connection.key.interestOps(SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            closer.accept(connection);
        }
    }

    private void linger(OpsConnection connection) {
        try {
            int count;
            do {
                readBuffer.clear();
                count = connection.channel.read(readBuffer);
            } while (count > 0);
            if (count < 0) {
                closer.accept(connection);
            }
        } catch (IOException e) {
            closer.accept(connection);
        }
    }
}
