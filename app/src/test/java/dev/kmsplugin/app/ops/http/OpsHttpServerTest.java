package dev.kmsplugin.app.ops.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.testkit.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The operations HTTP server over real sockets: slow clients, bounds, per-user caps and strict parsing. */
class OpsHttpServerTest {

    private static final int SLOW_USER = 1000;
    private static final int OTHER_USER = 2000;

    private final List<Socket> sockets = new ArrayList<>();
    /** Client ports whose connections the injected lookup attributes to a user; every other one is uid 0. */
    private final Map<Integer, Integer> uidByPort = new ConcurrentHashMap<>();
    private final AtomicInteger routed = new AtomicInteger();
    private OpsHttpServer server;

    @AfterEach
    void close() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(OpsHttpLimits limits) {
        PeerUids lookup = connections -> {
            Map<PeerUids.Ends, Integer> uids = new HashMap<>();
            for (PeerUids.Ends ends : connections) {
                uids.put(ends, uidByPort.getOrDefault(ends.peer().getPort(), 0));
            }
            return uids;
        };
        server = OpsHttpServer.start("test", new OpsAddress("127.0.0.1", 0), "--test-addr", Map.of(
                "/livez", () -> {
                    routed.incrementAndGet();
                    return HttpAnswer.text(200, "ok");
                },
                "/broken", () -> {
                    throw new IllegalStateException("backend gone\nsecond line");
                }), limits, lookup);
    }

    private static OpsHttpLimits limits(int perUid, int total, Duration requestTimeout) {
        return new OpsHttpLimits(8192, requestTimeout, total, perUid, 2);
    }

    /** Opens a connection as {@code uid} and sends a request line and one header, never finishing the request. */
    private Socket slow(int uid) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress("127.0.0.1", 0));
        uidByPort.put(socket.getLocalPort(), uid);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        socket.getOutputStream().write("GET /livez HTTP/1.1\r\nX-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** Sends {@code request} as uid 0 and reads until the server closes (the test kit's hang guard at most). */
    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout((int) Await.HANG_GUARD.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private String get(String path) throws IOException {
        return exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.awaitCondition(condition, what);
    }

    /**
     * True when the server closed {@code socket} without a word: end of stream or a reset, within the test kit's hang
     * guard (only ever expected to be true, so the bound is never waited out when the server behaves).
     */
    private static boolean closedSilently(Socket socket) throws IOException {
        socket.setSoTimeout((int) Await.HANG_GUARD.toMillis());
        try {
            InputStream in = socket.getInputStream();
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Test
    void probes_answer_while_256_slow_clients_dribble_headers() throws Exception {
        start(limits(512, 1024, Duration.ofSeconds(30)));
        for (int i = 0; i < 256; i++) {
            slow(SLOW_USER);
            if (i == 63 || i == 255) {
                assertTrue(get("/livez").startsWith("HTTP/1.1 200 OK\r\n"), "with " + (i + 1) + " slow clients");
            }
        }
        for (Socket socket : sockets) {
            socket.getOutputStream().write("X-More: 2\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < 5; i++) {
            assertTrue(get("/livez").startsWith("HTTP/1.1 200 OK\r\n"));
        }
        assertEquals(7, routed.get());
        assertEquals(0, server.refusedConnections());
    }

    @Test
    void answers_are_one_line_with_length_no_store_and_close() throws Exception {
        start(ShippedLimits.get());
        String ok = get("/livez?verbose");
        assertTrue(ok.startsWith("HTTP/1.1 200 OK\r\n"), ok);
        assertTrue(ok.contains("\r\nContent-Length: 3\r\n") && ok.contains("\r\nCache-Control: no-store\r\n")
                && ok.contains("\r\nConnection: close\r\n") && ok.endsWith("\r\n\r\nok\n"), ok);
        String head = exchange("HEAD /livez HTTP/1.1\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n") && head.endsWith("\r\n\r\n"), head);
        String missing = get("/nope");
        assertTrue(missing.startsWith("HTTP/1.1 404 ") && missing.contains("not found: try "), missing);
        String post = exchange("POST /livez HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 405 ") && post.contains("\r\nAllow: GET, HEAD\r\n"), post);
        String broken = get("/broken");
        assertTrue(broken.startsWith("HTTP/1.1 503 ") && broken.endsWith("\r\n\r\nbackend gone\n"), broken);
    }

    @Test
    void oversize_heads_are_answered_431() throws Exception {
        start(ShippedLimits.get());
        String response = exchange("GET /livez HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 431 "), response);
        assertEquals(0, routed.get());
    }

    @Test
    void a_request_not_finished_within_the_timeout_is_closed() throws Exception {
        start(limits(16, 1024, Duration.ofMillis(300)));
        long start = System.nanoTime();
        Socket socket = slow(SLOW_USER);
        socket.setSoTimeout((int) Await.HANG_GUARD.toMillis()); // guards a hang; the 408 comes after 300 ms
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(response.startsWith("HTTP/1.1 408 "), response);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
        assertEquals(1, server.timedOutConnections());
        assertEquals(0, routed.get());
    }

    @Test
    void the_17th_connection_of_one_user_is_refused_while_another_user_gets_in() throws Exception {
        start(limits(16, 1024, Duration.ofSeconds(30)));
        for (int i = 0; i < 16; i++) {
            slow(SLOW_USER);
        }
        Socket over = slow(SLOW_USER);
        assertTrue(closedSilently(over), "the 17th connection of one user was not closed");
        await(() -> server.refusedConnections() == 1, "one refused connection");
        assertTrue(get("/livez").startsWith("HTTP/1.1 200 OK\r\n"));
        for (int i = 0; i < 16; i++) {
            slow(OTHER_USER);
        }
        assertEquals(1, server.refusedConnections());
    }

    @Test
    void at_the_global_cap_a_user_below_its_share_takes_a_slot_from_the_largest_holder() throws Exception {
        start(limits(16, 20, Duration.ofSeconds(30)));
        List<Socket> slowOnes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            slowOnes.add(slow(SLOW_USER));
        }
        for (int i = 0; i < 4; i++) {
            slow(OTHER_USER);
        }
        // The server has registered all 20 before this probe: a request from each user proves it.
        assertTrue(get("/livez").startsWith("HTTP/1.1 200 OK\r\n"), "uid 0 refused at the global cap");
        assertTrue(closedSilently(slowOnes.get(0)), "the largest holder's oldest connection was not taken");
        await(() -> server.refusedConnections() == 1, "one connection given up");
    }

    @Test
    void malformed_requests_are_answered_400_without_reaching_a_route() throws Exception {
        start(ShippedLimits.get());
        for (String request : List.of(
                "GET /livez HTTP/1.1\n\n",
                "GET /livez HTTP/1.1\r\nHost: a\n\r\n",
                "GET /livez HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
                "GET /livez HTTP/1.1\r\nX: a\u0000b\r\n\r\n",
                "GET /livez HTTP/1.1\r\nX: a\rb\r\n\r\n",
                "GET http://127.0.0.1/livez HTTP/1.1\r\n\r\n",
                "GET * HTTP/1.1\r\n\r\n",
                "GET  /livez HTTP/1.1\r\n\r\n",
                "GET /livez HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                "GET /livez HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "GET /livez HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
                "GET /livez HTTP/1.1\r\nBad Name: a\r\n\r\n",
                "\r\n\r\n")) {
            String response = exchange(request);
            assertTrue(response.startsWith("HTTP/1.1 400 "), request.replace("\r", "\\r").replace("\n", "\\n")
                    + " answered " + response);
        }
        assertTrue(exchange("GET /livez HTTP/2.0\r\n\r\n").startsWith("HTTP/1.1 505 "));
        for (int i = 0; i < 40; i++) {
            // more than the per-user cap in a row: a client that has read its answer and closed holds no slot
            assertTrue(get("/nope").startsWith("HTTP/1.1 404 "), "request " + i);
        }
        assertEquals(0, routed.get());
        assertTrue(get("/livez").startsWith("HTTP/1.1 200 OK\r\n"));
    }

    @Test
    void proc_net_addresses_decode_in_host_byte_order() {
        Set<String> expected = Set.of("/127.0.0.1:8080");
        String hex = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? "0100007F:1F90"
                : "7F000001:1F90";
        assertTrue(expected.contains(PeerUids.ProcNet.address(hex).toString()));
        String mapped = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                ? "0000000000000000FFFF00000100007F:1F90" : "00000000000000000000FFFF7F000001:1F90";
        assertTrue(expected.contains(PeerUids.ProcNet.address(mapped).toString()));
    }

    @Test
    void proc_net_takes_the_uid_from_the_client_row_not_the_servers(@org.junit.jupiter.api.io.TempDir
                                                                         java.nio.file.Path dir) throws Exception {
        boolean little = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
        String loopback = little ? "0100007F" : "7F000001";
        java.nio.file.Path table = dir.resolve("tcp");
        java.nio.file.Files.writeString(table, String.join("\n",
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: " + loopback + ":1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
                "   1: " + loopback + ":1F90 " + loopback + ":C350 01 00000000:00000000 00:00000000 00000000     0 0 2",
                "   2: " + loopback + ":C350 " + loopback + ":1F90 01 00000000:00000000 00:00000000 00000000  1234 0 3",
                ""));
        PeerUids.Ends ends = new PeerUids.Ends(new InetSocketAddress("127.0.0.1", 0xC350),
                new InetSocketAddress("127.0.0.1", 0x1F90));
        assertEquals(Map.of(ends, 1234), new PeerUids.ProcNet(List.of(table)).uids(List.of(ends)));
    }

    @Test
    void proc_net_finds_the_owner_of_a_real_loopback_client() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"));
             Socket client = new Socket("127.0.0.1", listener.getLocalPort());
             Socket accepted = listener.accept()) {
            PeerUids.Ends ends = new PeerUids.Ends((InetSocketAddress) accepted.getRemoteSocketAddress(),
                    (InetSocketAddress) accepted.getLocalSocketAddress());
            Map<PeerUids.Ends, Integer> uids = PeerUids.procNet().uids(List.of(ends));
            int self = Integer.parseInt(new String(new ProcessBuilder("id", "-u").start().getInputStream()
                    .readAllBytes(), StandardCharsets.US_ASCII).trim());
            assertEquals(Map.of(ends, self), uids);
        }
    }
}
