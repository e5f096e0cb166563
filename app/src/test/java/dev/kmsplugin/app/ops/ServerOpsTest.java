package dev.kmsplugin.app.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.ops.metrics.PrometheusTelemetry;
import dev.kmsplugin.app.ops.logging.LogLineFormatter;
import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.app.serve.Server;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.spi.TransportProvider;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The composition root's serving life with small real plugins: endpoints up, traffic, draining, port clashes. */
class ServerOpsTest {

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private Handler handler;
    private PrometheusTelemetry telemetry;
    private InMemoryKeys keys;
    private InProcessTransport transport;
    private int backendsCreated;

    @BeforeEach
    void captureLogs() {
        handler = new StreamHandler(logged, new LogLineFormatter(true, false));
        Logger.getLogger("").addHandler(handler);
        telemetry = new PrometheusTelemetry(Clock.systemUTC());
    }

    @AfterEach
    void release() {
        Logger.getLogger("").removeHandler(handler);
        telemetry.close();
    }

    private Plugins plugins() {
        BackendProvider backend = new BackendProvider() {
            @Override
            public String name() {
                return "test-aes";
            }

            @Override
            public String summary() {
                return "in-memory AES-GCM";
            }

            @Override
            public Backend create(PluginContext context) {
                backendsCreated++;
                keys = new InMemoryKeys("test-kek", context.telemetry(), Duration.ZERO);
                keys.probe(null);
                return Backend.of(keys);
            }
        };
        TransportProvider transports = new TransportProvider() {
            @Override
            public String name() {
                return "in-process";
            }

            @Override
            public String summary() {
                return "calls in the same process";
            }

            @Override
            public Transport create(PluginContext context, EnvelopeEncryption service) {
                transport = new InProcessTransport(service, context.telemetry());
                return transport;
            }
        };
        return new Plugins(List.of(backend), List.of(transports));
    }

    private Server server(int healthPort, String metricsAddress) {
        return server(healthPort, metricsAddress, Map.of());
    }

    private Server server(int healthPort, String metricsAddress, Map<String, String> more) {
        Map<String, String> values = new HashMap<>(more);
        values.put("kms.backend", "test-aes");
        values.put("kms.transport", "in-process");
        values.put("kms.health.port", Integer.toString(healthPort));
        values.put("kms.metrics.address", metricsAddress);
        values.put("kms.shutdown-grace", "1s");
        Configuration configuration = Configuration.load(values, AppFlags.all(), Map.of());
        return new Server(configuration, plugins(), telemetry, Clock.systemUTC());
    }

    @Test
    void the_per_uid_cap_comes_from_its_setting_and_a_bad_value_is_refused_at_start() throws Exception {
        Server.Running running = server(0, "127.0.0.1:0", Map.of("kms.ops-http.max-connections-per-uid", "2"))
                .start();
        try {
            List<java.net.Socket> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    java.net.Socket socket = new java.net.Socket("127.0.0.1", running.healthPort());
                    socket.getOutputStream().write("GET /readyz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    held.add(socket);
                }
                held.get(2).setSoTimeout(5_000);
                // this JVM's third open connection is over its uid's cap of 2: closed (or reset) without an answer
                int first;
                try {
                    first = held.get(2).getInputStream().read();
                } catch (java.net.SocketException reset) {
                    first = -1;
                }
                assertEquals(-1, first);
            } finally {
                for (java.net.Socket socket : held) {
                    socket.close();
                }
            }
            assertEquals(200, Scrape.get(running.healthPort(), "/readyz").status());
        } finally {
            running.close();
        }
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> server(0, "127.0.0.1:0", Map.of("kms.ops-http.max-connections-per-uid", "0")).start());
        assertTrue(error.getMessage().contains("--ops-max-conns-per-uid"), error.getMessage());
        KmsException.Misconfigured both = assertThrows(KmsException.Misconfigured.class,
                () -> server(0, "127.0.0.1:0", Map.of("kms.ops-http.max-connections-per-uid", "0",
                        "kms.ops-http.workers", "0")).start());
        assertTrue(both.getMessage().contains("--ops-max-conns-per-uid") && both.getMessage()
                .contains("kms.ops-http.workers"), "every bad limit is named at once: " + both.getMessage());
    }

    @Test
    void serves_probes_and_metrics_then_closes_both_after_draining() throws Exception {
        Server.Running running = server(0, "127.0.0.1:0").start();
        int healthPort = running.healthPort();
        int metricsPort = running.metricsPort();
        try {
            assertEquals(200, Scrape.get(healthPort, "/readyz").status());
            assertEquals(200, Scrape.get(healthPort, "/healthz").status());
            transport.encrypt(new byte[32]);
            List<Scrape.Sample> samples = Scrape.samples(Scrape.get(metricsPort, "/metrics").body());
            assertEquals(1, Scrape.value(samples, "kms_request_duration_seconds_count",
                    Map.of("api", "v2", "method", "Encrypt", "code", "OK")));
            assertEquals(List.of(keys.current().keyId().value()), samples.stream()
                    .filter(s -> s.name().equals("kms_current_key")).map(s -> s.labels().get("key_id")).toList());
        } finally {
            running.close();
        }
        assertTrue(transport.stopped, "transport was not drained");
        assertTrue(keys.closed(), "backend was not closed");
        assertThrows(ConnectException.class, () -> Scrape.get(healthPort, "/healthz"));
        assertThrows(ConnectException.class, () -> Scrape.get(metricsPort, "/metrics"));
    }

    @Test
    void a_metrics_port_clash_fails_start_up_before_the_backend_and_leaves_no_port_bound() throws Exception {
        int healthPort = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                    () -> server(healthPort, "127.0.0.1:" + taken.getLocalPort()).start());
            assertTrue(error.getMessage().startsWith("metrics endpoint cannot listen on 127.0.0.1:"
                    + taken.getLocalPort()), error.getMessage());
        }
        assertEquals(0, backendsCreated, "the backend was built although start-up had already failed");
        assertNull(transport);
        try (ServerSocket again = new ServerSocket(healthPort, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(healthPort, again.getLocalPort(), "the health port was left bound");
        }
    }

    @Test
    void request_logs_are_json_with_uid_and_method_and_never_hold_the_plaintext() throws Exception {
        byte[] secret = "0123456789abcdef0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
        try (Server.Running running = server(0, "127.0.0.1:0").start()) {
            EncryptResult result = transport.encrypt(secret);
            assertEquals(200, Scrape.get(running.healthPort(), "/healthz").status());
            transport.decrypt(result);
        }
        handler.flush();
        String text = logged.toString(StandardCharsets.UTF_8);
        List<Map<String, String>> lines = text.lines().map(Json::object).toList();
        assertTrue(lines.stream().anyMatch(l -> "v2/Encrypt".equals(l.get("method")) && l.containsKey("uid")
                && "OK".equals(l.get("code"))), text);
        assertTrue(lines.stream().anyMatch(l -> "v2/Decrypt".equals(l.get("method"))), text);
        assertTrue(lines.stream().anyMatch(l -> l.get("message").startsWith("serving KMS on in-process://test")), text);
        for (String form : List.of(new String(secret, StandardCharsets.US_ASCII),
                Base64.getEncoder().encodeToString(secret), HexFormat.of().formatHex(secret))) {
            assertFalse(text.contains(form), "plaintext in the log as " + form);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
