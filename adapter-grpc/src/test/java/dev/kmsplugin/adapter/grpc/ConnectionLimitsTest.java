package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.grpc.client.KmsClient;
import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A local process cannot wedge the plugin with connections: beyond --max-connections they are closed as soon as
 * they are accepted, idle ones are closed after --max-connection-idle, and a peer uid outside --allowed-peer-uids
 * is turned away; meanwhile the connected client keeps getting answers.
 */
class ConnectionLimitsTest {

    @Test
    void a_flood_of_preface_only_connections_is_capped_while_the_connected_client_is_served() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(s -> s.with("max-connections", 4));
                RawConnections flood = new RawConnections()) {
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            long rssBefore = rssKib();
            flood.open(plugin.socket, 40);
            // The client holds one connection: three more are kept, the other 37 closed at once. "At once": long
            // before the 5 min idle limit could close any; the 30 s bound only guards against a hang, and the three
            // kept connections stay open, so the count stops at 37.
            assertEquals(37, flood.awaitClosed(37, 30_000), "connections beyond the cap are closed");
            for (int i = 0; i < 20; i++) {
                assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            }
            assertEquals(37, flood.awaitClosed(38, 0), "the three within the cap are still open");
            flood.open(plugin.socket, 1000);
            assertTrue(flood.awaitClosed(1037, 30_000) >= 1037, "every connection beyond the cap is closed");
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            System.out.println("RSS after 1040 preface-only connections with max-connections=4: "
                    + (rssKib() - rssBefore) + " KiB more");
        }
    }

    @Test
    void a_connection_that_makes_no_call_is_closed_after_the_idle_limit() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(s -> s.with("max-connection-idle", Duration.ofSeconds(1)));
                RawConnections idle = new RawConnections()) {
            idle.open(plugin.socket, 3);
            // gRPC says GOAWAY after the idle limit, then closes when its ping times out (about 10 s).
            assertEquals(3, idle.awaitClosed(3, 60_000), "idle connections are closed");
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
        }
    }

    @Test
    void a_peer_whose_uid_is_allowed_is_served() throws Exception {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        try (RunningPlugin plugin = RunningPlugin.start(s -> s.with("allowed-peer-uids", uid + ",4242"))) {
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            plugin.transport.selfCheck(Duration.ofSeconds(3));
        }
    }

    @Test
    void a_peer_whose_uid_is_not_allowed_is_refused() throws Exception {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int other = uid == 4242 ? 4243 : 4242;
        try (RunningPlugin plugin = RunningPlugin.start(s -> s.with("allowed-peer-uids", String.valueOf(other)));
                RawConnections stranger = new RawConnections();
                KmsClient client = KmsClient.connect(ListenAddress.parse("unix://" + plugin.socket), false)) {
            stranger.open(plugin.socket, 2);
            // At once: the idle limit (5 min) is the only other thing that would close it; 30 s guards a hang.
            assertEquals(2, stranger.awaitClosed(2, 30_000), "a stranger's connection is closed at once");
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> client.status(Duration.ofSeconds(2)));
            assertNotEquals(io.grpc.Status.Code.OK, refused.getStatus().getCode());
        }
    }

    private static long rssKib() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
