package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import dev.kmsplugin.ports.testkit.MapSettings;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The socket file: appears only when serving, 0600, never stolen from a live server, cleaned up when stale. */
class SocketHygieneTest {

    private final Path directory = RunningPlugin.newDirectory();

    @AfterEach
    void clean() {
        RunningPlugin.deleteTree(directory);
    }

    private static Transport transportAt(String address, Consumer<MapSettings> adjust) {
        MapSettings settings = TransportSettings.at(address);
        adjust.accept(settings);
        return new GrpcTransportProvider().create(new PluginContext(settings, Telemetry.none(), Clock.systemUTC()),
                new EnvelopeService(Backend.of(new InMemoryKeys()), Telemetry.none()));
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void the_socket_has_mode_0600_and_appears_only_once_the_server_answers() throws Exception {
        Path socket = directory.resolve("kms.sock");
        Transport transport = transportAt("unix://" + socket, s -> { });
        assertFalse(Files.exists(socket), "no socket before start");
        transport.start();
        try {
            assertEquals("rw-------", mode(socket));
            try (var directoryListing = Files.list(directory)) {
                assertEquals(1, directoryListing.count(), "no temporary bind directory is left behind");
            }
        } finally {
            transport.shutdown(Duration.ofSeconds(1));
        }
        assertFalse(Files.exists(socket), "socket removed on shutdown");
    }

    @Test
    void a_configured_group_mode_is_applied() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.startAt(directory, directory.resolve("g.sock"),
                s -> s.with("socket-mode", "0660"))) {
            assertEquals("rw-rw----", mode(plugin.socket));
        }
    }

    @Test
    void missing_parent_directories_are_created_owner_only() throws Exception {
        Path socket = directory.resolve("a/b/kms.sock");
        try (RunningPlugin plugin = RunningPlugin.startAt(directory, socket, s -> { })) {
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            assertEquals("rwx------", mode(directory.resolve("a")));
            assertEquals("rwx------", mode(directory.resolve("a/b")));
        }
    }

    @Test
    void creating_the_socket_directory_is_logged_in_one_info_line_naming_what_and_where() throws Exception {
        Path socket = directory.resolve("a/b/kms.sock");
        java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(
                "dev.kmsplugin.adapter.grpc.socket.SocketFile");
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()) {
                    lines.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try (RunningPlugin plugin = RunningPlugin.startAt(directory, socket, s -> { })) {
            assertEquals(java.util.List.of("the socket directory " + directory.resolve("a/b") + " did not exist:"
                    + " created it (and the missing directories from " + directory.resolve("a") + " down) with mode"
                    + " rwx------"), lines);
        }
        lines.clear();
        Path existing = RunningPlugin.newDirectory();
        try (RunningPlugin plugin = RunningPlugin.startAt(existing, existing.resolve("kms.sock"), s -> { })) {
            assertTrue(lines.stream().noneMatch(l -> l.contains("did not exist")), lines.toString());
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void a_stale_socket_left_by_a_dead_process_is_replaced() throws Exception {
        Path socket = directory.resolve("kms.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        } // closed without unlinking: what a killed process leaves behind
        assertTrue(Files.exists(socket));
        try (RunningPlugin plugin = RunningPlugin.startAt(directory, socket, s -> { })) {
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
        }
    }

    @Test
    void a_socket_owned_by_a_live_server_is_refused_and_left_untouched() throws Exception {
        try (RunningPlugin first = RunningPlugin.start()) {
            Object before = Files.readAttributes(first.socket, "unix:ino").get("ino");
            Transport second = transportAt("unix://" + first.socket, s -> { });
            KmsException refused = assertThrows(KmsException.class, second::start);
            assertTrue(refused.getMessage().contains("is serving on " + first.socket),
                    refused.getMessage());
            second.shutdown(Duration.ZERO);
            assertEquals(before, Files.readAttributes(first.socket, "unix:ino").get("ino"));
            assertEquals("ok", first.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
        }
    }

    @Test
    void a_path_that_is_not_a_socket_is_never_deleted() throws Exception {
        Path file = directory.resolve("important.txt");
        Files.writeString(file, "keep me");
        Transport transport = transportAt("unix://" + file, s -> { });
        KmsException refused = assertThrows(KmsException.class, transport::start);
        assertTrue(refused.getMessage().contains("is not a socket"), refused.getMessage());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void only_unix_addresses_are_accepted_with_a_hint() {
        KmsException tcp = assertThrows(KmsException.Misconfigured.class,
                () -> transportAt("tcp://127.0.0.1:80", s -> { }));
        assertTrue(tcp.getMessage().contains("only unix domain sockets"), tcp.getMessage());
        KmsException bare = assertThrows(KmsException.Misconfigured.class,
                () -> transportAt("/opt/kms.sock", s -> { }));
        assertTrue(bare.getMessage().contains("write unix:///opt/kms.sock"), bare.getMessage());
        KmsException relative = assertThrows(KmsException.Misconfigured.class,
                () -> transportAt("unix://kms.sock", s -> { }));
        assertTrue(relative.getMessage().contains("three slashes"), relative.getMessage());
    }

    @Test
    void bad_settings_are_all_listed_at_once() {
        KmsException bad = assertThrows(KmsException.Misconfigured.class, () -> transportAt("unix:///x/kms.sock",
                s -> s.with("v2-status-version", "v3").with("socket-mode", "0777x").with("max-concurrent-calls", 0)
                        .with("max-message-bytes", 10)));
        for (String part : new String[] {"v2-status-version", "octal mode", "max-concurrent-calls",
            "max-message-bytes"}) {
            assertTrue(bad.getMessage().contains(part), bad.getMessage());
        }
    }

    @Test
    void an_abstract_socket_is_refused_without_the_opt_in_flag() {
        KmsException refused = assertThrows(KmsException.class, () -> transportAt("unix:///@kms-test-no", s -> { }));
        assertTrue(refused.getMessage().contains("--allow-abstract-socket"), refused.getMessage());
    }

    @Test
    void an_abstract_socket_serves_without_a_file() throws Exception {
        String name = "kms-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Transport transport = transportAt("unix:///@" + name, s -> s.with("allow-abstract-socket", true));
        transport.start();
        try {
            transport.selfCheck(Duration.ofSeconds(3));
            Transport second = transportAt("unix:///@" + name, s -> s.with("allow-abstract-socket", true));
            assertThrows(KmsException.class, second::start, "a second server on the same abstract name is refused");
            second.shutdown(Duration.ZERO);
            transport.selfCheck(Duration.ofSeconds(3));
        } finally {
            transport.shutdown(Duration.ofSeconds(1));
        }
    }

    /** Starting on a socket in {@link #directory} is refused for {@code reason}, and leaves no socket file. */
    private void assertRefusedToStart(String reason) {
        Transport transport = transportAt("unix://" + directory.resolve("kms.sock"), s -> { });
        KmsException refused = assertThrows(KmsException.class, transport::start);
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
        assertFalse(Files.exists(directory.resolve("kms.sock"), LinkOption.NOFOLLOW_LINKS));
        transport.shutdown(Duration.ZERO);
    }

    // In a sticky directory such as /tmp another user cannot rename our files, but can squat the path first: a shared
    // parent is refused with or without the sticky bit.
    @ParameterizedTest(name = "mode {0}")
    @CsvSource({
        "777,  writable by group or others",
        "1777, writable by group or others (mode 1777)"})
    void a_parent_writable_by_others_is_refused_even_with_the_sticky_bit(String octalMode, String reason)
            throws Exception {
        Files.setAttribute(directory, "unix:mode", Integer.parseInt(octalMode, 8));
        assertRefusedToStart(reason);
    }

    @Test
    void a_parent_owned_by_another_user_is_refused() throws Exception {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        org.junit.jupiter.api.Assumptions.assumeTrue(self == 0, "changing a directory's owner needs root");
        Files.setAttribute(directory, "unix:uid", 4242);
        assertRefusedToStart("owned by uid 4242");
    }
}
