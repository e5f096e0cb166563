package dev.kmsplugin.app.ops.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.ops.Scrape;
import dev.kmsplugin.app.ops.InProcessTransport;
import dev.kmsplugin.app.ops.http.OpsAddress;
import dev.kmsplugin.app.ops.http.ShippedLimits;
import dev.kmsplugin.app.ops.http.OpsHttpLimits;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthEndpointsTest {

    private InMemoryKeys keys;
    private EnvelopeService service;
    private InProcessTransport transport;
    private HealthEndpoints health;

    @BeforeEach
    void start() {
        keys = new InMemoryKeys("test-kek", Telemetry.none(), Duration.ZERO);
        service = new EnvelopeService(Backend.of(keys), Telemetry.none());
        transport = new InProcessTransport(service, Telemetry.none());
        health = HealthEndpoints.start(new OpsAddress("127.0.0.1", 0), "/healthz", Duration.ofSeconds(2),
                ShippedLimits.get());
    }

    @AfterEach
    void stop() {
        health.close();
    }

    private void serving() {
        transport.start();
        health.serving(transport, service);
    }

    @Test
    void liveness_answers_while_slow_clients_hold_connections() throws Exception {
        // Slow clients may hold their connections for a minute: /livez can only be answered meanwhile if no worker
        // waits for them. Its answer (Scrape gives up after 10 s) therefore proves it was not queued behind them.
        health.close();
        health = HealthEndpoints.start(new OpsAddress("127.0.0.1", 0), "/healthz", Duration.ofSeconds(2),
                new OpsHttpLimits(8192, Duration.ofSeconds(60), 1024, 16, 4));
        keys.probe(null);
        serving();
        // Slow-loris: each connection sends its request headers one byte every 500 ms and never finishes.
        byte[] request = "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa".getBytes();
        java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread dribbler = new Thread(() -> {
            for (int i = 1; i < request.length && !stop.get(); i++) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                for (java.net.Socket socket : slow) {
                    try {
                        socket.getOutputStream().write(request[i]);
                        socket.getOutputStream().flush();
                    } catch (java.io.IOException closedByTheServer) {
                        // noticed below: every slow connection must still be open when /livez has answered
                    }
                }
            }
        });
        try {
            // More slow clients than the four workers; each has begun its request before /livez connects, and the
            // listener accepts in order, so all eight are held by the server when /livez arrives.
            for (int i = 0; i < 8; i++) {
                java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), health.port());
                socket.getOutputStream().write(request[0]);
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            dribbler.start();
            Scrape.Response response = Scrape.get(health.port(), "/livez");
            assertEquals(200, response.status(), response.body());
            for (java.net.Socket socket : slow) {
                socket.setSoTimeout(1);
                // Still open, unanswered: no 408, no close. They were held, not turned away, while /livez answered.
                assertThrows(java.net.SocketTimeoutException.class, () -> socket.getInputStream().read(),
                        "a slow client's connection was closed or answered");
            }
        } finally {
            stop.set(true);
            dribbler.interrupt();
            for (java.net.Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void answers_503_starting_on_every_path_before_the_transport_serves() throws Exception {
        for (String path : new String[] {"/healthz", "/livez", "/readyz"}) {
            Scrape.Response response = Scrape.get(health.port(), path);
            assertEquals(503, response.status(), path);
            assertEquals("starting: the transport is not serving yet\n", response.body(), path);
        }
    }

    @Test
    void answers_ok_on_liveness_and_readiness_once_serving_and_probed() throws Exception {
        keys.probe(null);
        serving();
        for (String path : new String[] {"/healthz", "/livez", "/readyz"}) {
            Scrape.Response response = Scrape.get(health.port(), path);
            assertEquals(200, response.status(), path + ": " + response.body());
            assertEquals("ok\n", response.body());
            assertTrue(response.contentType().startsWith("text/plain"), response.contentType());
        }
    }

    @Test
    void readiness_waits_for_the_backends_first_successful_probe() throws Exception {
        serving();
        Scrape.Response before = Scrape.get(health.port(), "/readyz");
        assertEquals(503, before.status());
        assertTrue(before.body().startsWith("waiting for the backend's first successful probe"), before.body());
        keys.probe(null);
        assertEquals(200, Scrape.get(health.port(), "/readyz").status());
    }

    @Test
    void liveness_reports_the_backends_cached_failure_as_one_line_without_a_stack_trace() throws Exception {
        keys.probe(null);
        serving();
        keys.probe(new KmsException.AccessDenied("the identity lacks wrapKey on key test-kek"));
        Scrape.Response response = Scrape.get(health.port(), "/healthz");
        assertEquals(503, response.status());
        assertEquals("backend: unhealthy: the identity lacks wrapKey on key test-kek\n", response.body());
        assertEquals(1, response.body().split("\n").length);
        assertFalse(response.body().contains("Exception") || response.body().contains("\tat "), response.body());
        // readiness stays: the backend has answered once, and it is liveness that reports its state
        assertEquals(200, Scrape.get(health.port(), "/readyz").status());
    }

    @Test
    void liveness_fails_when_the_self_check_through_the_socket_fails() throws Exception {
        keys.probe(null);
        serving();
        transport.selfCheckFailure = "v2 Status did not answer within 2s";
        Scrape.Response response = Scrape.get(health.port(), "/livez");
        assertEquals(503, response.status());
        assertEquals("self-check through in-process://test failed: v2 Status did not answer within 2s\n",
                response.body());
        transport.selfCheckFailure = null;
        assertEquals(200, Scrape.get(health.port(), "/livez").status());
    }

    @Test
    void readiness_drops_as_soon_as_draining_starts() throws Exception {
        keys.probe(null);
        serving();
        health.draining();
        Scrape.Response response = Scrape.get(health.port(), "/readyz");
        assertEquals(503, response.status());
        assertEquals("draining: shutting down\n", response.body());
    }

    @Test
    void serves_liveness_on_the_configured_path_and_answers_404_and_405_elsewhere() throws Exception {
        keys.probe(null);
        serving();
        try (HealthEndpoints custom = HealthEndpoints.start(new OpsAddress("127.0.0.1", 0), "/alive",
                Duration.ofSeconds(2), ShippedLimits.get())) {
            custom.serving(transport, service);
            assertEquals(200, Scrape.get(custom.port(), "/alive").status());
            assertEquals(200, Scrape.get(custom.port(), "/livez").status());
            assertEquals(404, Scrape.get(custom.port(), "/healthz").status());
            assertEquals(404, Scrape.get(custom.port(), "/alive/more").status());
            assertEquals(405, Scrape.send(custom.port(), "/alive", "POST").status());
            assertEquals(200, Scrape.send(custom.port(), "/readyz", "HEAD").status());
        }
    }

    @Test
    void refuses_a_port_in_use_with_one_line_naming_the_address_and_the_flag() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                    () -> HealthEndpoints.start(new OpsAddress("127.0.0.1", taken.getLocalPort()), "/healthz",
                            Duration.ofSeconds(1), ShippedLimits.get()));
            assertTrue(error.getMessage().startsWith("health endpoint cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + ": address already in use"), error.getMessage());
            assertTrue(error.getMessage().contains("--healthz-addr/--healthz-port"), error.getMessage());
            assertFalse(error.getMessage().contains("\n"));
        }
    }

    @Test
    void closing_frees_the_port() throws Exception {
        int port = health.port();
        health.close();
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort());
        }
        health = HealthEndpoints.start(new OpsAddress("127.0.0.1", 0), "/healthz", Duration.ofSeconds(1),
                ShippedLimits.get());
    }
}
