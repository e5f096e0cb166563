package dev.kmsplugin.app.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP server on the JDK's {@code jdk.httpserver} for probes and scrapes: exact paths, GET and HEAD only,
 * two worker threads, and answers that are always one line of text (a failing handler yields 503 with a one-line
 * reason, never a stack trace).
 */
final class OpsHttpServer implements AutoCloseable {

    private static final Logger LOG = System.getLogger(OpsHttpServer.class.getName());

    // The JDK server reads a request's headers on a worker thread and, by default, waits for them for ever: a few
    // clients sending a byte every few seconds would hold every worker and starve the kubelet's probes. These
    // bounds are read once, when the server's configuration class loads, so they are set before the first server
    // starts (an operator's -D on the command line wins). Seconds, checked once a second.
    static {
        setIfAbsent("sun.net.httpserver.maxReqTime", "5");
        setIfAbsent("sun.net.httpserver.maxRspTime", "10");
        setIfAbsent("sun.net.httpserver.idleInterval", "30");
        setIfAbsent("sun.net.httpserver.maxIdleConnections", "16");
    }

    /** Workers: enough that slow clients cannot hold them all for the few seconds before they are cut off. */
    static final int WORKERS = 32;

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /** What a route answers. */
    record Answer(int status, String contentType, String body) {
        static Answer text(int status, String body) {
            return new Answer(status, "text/plain; charset=utf-8", body.endsWith("\n") ? body : body + "\n");
        }
    }

    @FunctionalInterface
    interface Route {
        Answer answer() throws Exception;
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService workers;
    private final String address;

    private OpsHttpServer(String name, HttpServer server, ExecutorService workers) {
        this.name = name;
        this.server = server;
        this.workers = workers;
        InetSocketAddress bound = server.getAddress();
        String host = bound.getAddress().getHostAddress();
        this.address = (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    }

    /**
     * Binds {@code address} and starts answering {@code routes} (exact paths).
     *
     * @param setting the flags that choose the address, named in the error when it cannot be bound
     * @throws KmsException.Misconfigured when the address is in use or cannot be bound: one line saying which
     */
    static OpsHttpServer start(String name, ListenAddress address, String setting, Map<String, Route> routes) {
        HttpServer server;
        try {
            server = HttpServer.create(address.socketAddress(), 16);
        } catch (BindException e) {
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + (e.getMessage() == null ? "address in use" : e.getMessage().toLowerCase(Locale.ROOT))
                    + "; another process holds the port, or choose another with " + setting);
        } catch (IOException | IllegalArgumentException e) {
            throw new KmsException.Misconfigured(name + " endpoint cannot listen on " + address + ": "
                    + oneLine(e) + "; check " + setting);
        }
        Map<String, Route> exact = new LinkedHashMap<>(routes);
        server.createContext("/", exchange -> handle(exchange, exact));
        AtomicInteger threads = new AtomicInteger();
        // Threads start on demand and end when idle; beyond WORKERS busy ones a new exchange is refused, which
        // closes that connection rather than queueing it behind slow clients.
        ThreadPoolExecutor workers = new ThreadPoolExecutor(0, WORKERS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), task -> {
                    Thread thread = new Thread(task, "kms-" + name + "-http-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        server.setExecutor(workers);
        server.start();
        OpsHttpServer started = new OpsHttpServer(name, server, workers);
        LOG.log(Level.INFO, "{0} endpoint listening on http://{1} (paths {2})", name, started.address(),
                String.join(", ", exact.keySet()));
        return started;
    }

    /** The bound address; its port is the real one when port 0 was asked for. */
    String address() {
        return address;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void handle(HttpExchange exchange, Map<String, Route> routes) throws IOException {
        try (exchange) {
            Answer answer;
            String method = exchange.getRequestMethod();
            Route route = routes.get(exchange.getRequestURI().getPath());
            if (route == null) {
                answer = Answer.text(404, "not found: try " + String.join(", ", routes.keySet()));
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                answer = Answer.text(405, "method not allowed: use GET");
            } else {
                try {
                    answer = route.answer();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "{0} failed: {1}", exchange.getRequestURI().getPath(), oneLine(e));
                    answer = Answer.text(503, oneLine(e));
                }
            }
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(answer.status(), -1);
            } else {
                exchange.sendResponseHeaders(answer.status(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** The first line of an exception's message, or its simple class name when it has none. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /** Stops listening at once (probes and scrapes are short; nothing needs draining) and frees the port. */
    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
        LOG.log(Level.INFO, "{0} endpoint on {1} closed", name, address());
    }
}
