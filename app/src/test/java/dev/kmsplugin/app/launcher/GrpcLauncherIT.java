package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC transport as production runs it: from the packaged distribution, on the module path, as a separate
 * process. Socket paths live under /tmp because unix socket paths are limited to 107 bytes.
 */
class GrpcLauncherIT {

    private static final Path LIB = LauncherIT.DISTRIBUTION.resolve("app");
    private final Path dir = ShortTempDirs.create("grpc-it-");


    @AfterEach
    void clean() throws IOException {
        ShortTempDirs.delete(dir);
    }

    record Run(int exitCode, byte[] bytes, String err) {
        String out() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static Run run(List<String> command, byte[] stdin) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().write(stdin);
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "process did not exit within 60 s: " + command);
        return new Run(process.exitValue(), out, new String(err, StandardCharsets.UTF_8));
    }

    static Run launch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString());
        command.addAll(List.of(args));
        return run(command, new byte[0]);
    }

    @Test
    void help_lists_the_grpc_flags_and_the_client_command() throws Exception {
        Run run = launch("--help");
        assertEquals(0, run.exitCode(), run.err());
        for (String expected : new String[] {"--listen-addr", "--kms-v2-version", "--socket-mode",
            "--max-concurrent-calls", "--max-message-size", "--client-api", "kms-plugin client ..."}) {
            assertTrue(run.out().contains(expected), expected + " missing from:\n" + run.out());
        }
    }

    @Test
    void client_without_a_socket_says_so_and_exits_3() throws Exception {
        Run run = launch("client", "status", "--listen-addr=unix://" + dir.resolve("absent.sock"));
        assertEquals(3, run.exitCode(), run.err());
        assertTrue(run.err().contains("no socket at"), run.err());
    }

    @Test
    void client_loads_netty_epoll_on_the_module_path_and_reports_a_dead_socket_with_exit_3() throws Exception {
        Path socket = dir.resolve("dead.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        Run run = launch("client", "version", "--listen-addr=unix://" + socket);
        assertEquals(3, run.exitCode(), run.err());
        assertTrue(run.err().contains("cannot connect to unix://" + socket), run.err());
        assertFalse(run.err().contains("Exception"), run.err());
    }

    @Test
    void the_grpc_transport_is_found_serves_and_self_checks_on_the_module_path() throws Exception {
        // A tiny module compiled against the distribution finds the transport through ServiceLoader, exactly as
        // the launcher does, serves over a real socket and calls v2 Status and v1 Version through it.
        Path sources = dir.resolve("src/probe");
        Files.createDirectories(sources.resolve("probe"));
        Files.writeString(sources.resolve("module-info.java"), "module probe {\n  requires dev.kmsplugin.ports;\n"
                + "  requires kms.testkit;\n  uses dev.kmsplugin.ports.spi.TransportProvider;\n}\n");
        Files.writeString(sources.resolve("probe/Probe.java"), PROBE);
        Path javaHome = Path.of(System.getProperty("java.home"));
        // The test kit's settings (MapSettings, which starts from the shipped reference.conf files) as a module of
        // its own: only its package, so it splits no package with the distribution's modules.
        Path kit = testKit(dir.resolve("kit/kms-testkit.jar"));
        String modules = LIB + ":" + kit;
        Run compiled = run(List.of(javaHome.resolve("bin/javac").toString(), "--module-path", modules,
                "--module-source-path", dir.resolve("src").toString(), "-m", "probe", "-d",
                dir.resolve("out").toString()), new byte[0]);
        assertEquals(0, compiled.exitCode(), compiled.out() + compiled.err());
        Path socket = dir.resolve("sub/kms.sock");
        Run served = run(List.of(javaHome.resolve("bin/java").toString(), "--module-path",
                dir.resolve("out") + ":" + modules, "--add-modules", "ALL-MODULE-PATH", "-m", "probe/probe.Probe",
                "unix://" + socket), new byte[0]);
        assertEquals(0, served.exitCode(), served.out() + served.err());
        assertTrue(served.out().contains("self-check passed on unix://" + socket + " mode rw-------"),
                served.out() + served.err());
        assertFalse(Files.exists(socket), "socket removed on shutdown");
    }

    // --- the packaged plugin with the SoftHSM2 simulator, as the README's run command starts it ---------------

    private Path serveLog;

    private Process serve(Path socket, Path simDir) throws IOException {
        serveLog = dir.resolve("serve-" + System.nanoTime() + ".log");
        List<String> command = List.of(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(),
                "--backend=hsm-sim", "--sim-dir=" + simDir, "--listen-addr=unix://" + socket,
                "--sim-refresh-interval=1s", "--shutdown-grace=5s");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(serveLog.toFile()).start();
    }

    private String log() throws IOException {
        return Files.readString(serveLog);
    }

    private void awaitSocket(Process process, Path socket) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket) && System.nanoTime() < until) {
            if (!process.isAlive()) {
                throw new AssertionError("the plugin exited with " + process.exitValue() + ":\n" + log());
            }
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), "the socket did not appear within 60 s:\n" + log());
    }

    private static Run client(Path socket, byte[] stdin, String... words) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString());
        command.add("client");
        command.addAll(List.of(words));
        command.add("--listen-addr=unix://" + socket);
        return run(command, stdin);
    }

    private static String keyId(Run status) {
        return keyIdIn(status.out());
    }

    /** The key_id that a client command printed ({@code key_id: <id>}). */
    static String keyIdIn(String printed) {
        return printed.replaceAll("(?s).*key_id: (\\S+).*", "$1");
    }

    @Test
    void the_packaged_plugin_serves_both_apis_from_the_simulator_rotates_and_stops_cleanly_on_sigterm()
            throws Exception {
        Path socket = dir.resolve("kms.sock");
        Path simDir = dir.resolve("sim");
        Process plugin = serve(socket, simDir);
        try {
            awaitSocket(plugin, socket);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

            Run status = client(socket, new byte[0], "status");
            assertEquals(0, status.exitCode(), status.err() + log());
            assertTrue(status.out().matches("(?s)version: v2\nhealthz: ok\nkey_id: \\S+\n"), status.out());
            Run version = client(socket, new byte[0], "version");
            assertEquals(0, version.exitCode(), version.err());
            assertTrue(version.out().startsWith("version: v1beta1\nruntime_name: kms-plugin\n"), version.out());

            byte[] dek = new byte[32];
            new SecureRandom().nextBytes(dek);
            Run written = null;
            for (String api : List.of("--client-api=v2", "--client-api=v1")) {
                Run encrypted = client(socket, dek, "encrypt", api);
                assertEquals(0, encrypted.exitCode(), encrypted.err());
                Run decrypted = client(socket, encrypted.bytes(), "decrypt", api);
                assertEquals(0, decrypted.exitCode(), decrypted.err());
                assertArrayEquals(dek, decrypted.bytes(), "round trip over " + api);
                written = written == null ? encrypted : written;
            }
            // the launcher opens the JDK's PKCS#11 binding to the simulator's module (DirectGcm), by its right name
            assertTrue(log().contains("through the JDK's PKCS#11 binding directly") && !log().contains("Unknown module"),
                    log());
            Run hostile = client(socket, "Z2FyYmFnZQ==".getBytes(StandardCharsets.US_ASCII), "decrypt");
            assertEquals(1, hostile.exitCode(), hostile.err());
            assertTrue(hostile.err().contains("INVALID_ARGUMENT"), hostile.err());

            // Rotation in another process: the running server moves to a new key_id; old data still decrypts.
            String before = keyId(status);
            Run rotated = run(List.of(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(), "sim", "rotate",
                    "--sim-dir=" + simDir), new byte[0]);
            assertEquals(0, rotated.exitCode(), rotated.out() + rotated.err());
            String after = before;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a hang guard: refresh is every 1 s
            while (after.equals(before) && System.nanoTime() < until) {
                Thread.sleep(250);
                after = keyId(client(socket, new byte[0], "status"));
            }
            assertFalse(after.equals(before), "the key_id did not change after sim rotate:\n" + log());
            Run old = client(socket, written.bytes(), "decrypt", "--client-key-id=" + before);
            assertEquals(0, old.exitCode(), old.err());
            assertArrayEquals(dek, old.bytes(), "data written before the rotation");

            Process second = serve(socket, dir.resolve("sim2"));
            assertTrue(second.waitFor(60, TimeUnit.SECONDS), "a second plugin on the same socket did not give up");
            assertEquals(2, second.exitValue(), "a second plugin on a live socket is refused:\n" + log());
            assertTrue(log().contains("is serving on " + socket) && !log().contains("IMPOSTOR"), log());
            assertEquals(0, client(socket, new byte[0], "status").exitCode(), "the first plugin is untouched");

            plugin.destroy(); // SIGTERM
            assertTrue(plugin.waitFor(20, TimeUnit.SECONDS), "the plugin did not stop within 20 s of SIGTERM");
            assertEquals(0, plugin.exitValue(), "SIGTERM ends the plugin with exit code 0");
            assertFalse(Files.exists(socket), "the socket is removed on shutdown");
        } finally {
            plugin.destroyForcibly();
        }
    }

    @Test
    void the_readme_round_trip_decrypts_data_written_before_a_sim_rotate_and_a_restart_with_no_flags()
            throws Exception {
        Path socket = dir.resolve("kms.sock");
        Path simDir = dir.resolve("sim");
        byte[] dek = new byte[32];
        new SecureRandom().nextBytes(dek);
        Process first = serve(socket, simDir);
        Run envelope;
        Run bare;
        String before;
        try {
            awaitSocket(first, socket);
            before = keyId(client(socket, new byte[0], "status"));
            envelope = client(socket, dek, "encrypt");
            assertEquals(0, envelope.exitCode(), envelope.err());
            assertTrue(envelope.out().contains("\"key_id\":\"" + before + "\""), envelope.out());
            bare = client(socket, dek, "encrypt", "--client-output=base64");
            assertEquals(0, bare.exitCode(), bare.err());
        } finally {
            first.destroy(); // SIGTERM
            assertTrue(first.waitFor(20, TimeUnit.SECONDS), "the plugin did not stop within 20 s of SIGTERM");
        }
        Run rotated = launch("sim", "rotate", "--sim-dir=" + simDir);
        assertEquals(0, rotated.exitCode(), rotated.out() + rotated.err());

        Process second = serve(socket, simDir);
        try {
            awaitSocket(second, socket);
            String after = keyId(client(socket, new byte[0], "status"));
            assertFalse(after.equals(before), "sim rotate did not change the key_id:\n" + log());

            Run decrypted = client(socket, envelope.bytes(), "decrypt");
            assertEquals(0, decrypted.exitCode(), decrypted.err());
            assertArrayEquals(dek, decrypted.bytes(), "the JSON envelope decrypts after the rotation");

            Run refused = client(socket, bare.bytes(), "decrypt");
            assertEquals(1, refused.exitCode(), refused.err());
            assertTrue(refused.err().contains("INVALID_ARGUMENT")
                    && refused.err().contains("--client-key-id=<the key_id printed by encrypt>"), refused.err());
            Run withKeyId = client(socket, bare.bytes(), "decrypt", "--client-key-id=" + before);
            assertEquals(0, withKeyId.exitCode(), withKeyId.err());
            assertArrayEquals(dek, withKeyId.bytes(), "bare base64 with the key_id encrypt printed");
        } finally {
            second.destroy();
            assertTrue(second.waitFor(20, TimeUnit.SECONDS), "the plugin did not stop within 20 s of SIGTERM");
        }
    }

    /** A jar of the test kit's package alone, taken from this test's class path. */
    private static Path testKit(Path jar) throws IOException {
        Path classes = Path.of(java.net.URI.create(dev.kmsplugin.ports.testkit.MapSettings.class
                .getProtectionDomain().getCodeSource().getLocation().toString()));
        Files.createDirectories(jar.getParent());
        try (java.nio.file.FileSystem from = classes.toString().endsWith(".jar")
                ? java.nio.file.FileSystems.newFileSystem(classes) : null;
                java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            Path root = from == null ? classes : from.getPath("/");
            Path kitPackage = root.resolve("dev/kmsplugin/ports/testkit");
            try (java.util.stream.Stream<Path> files = Files.list(kitPackage)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    out.putNextEntry(new java.util.jar.JarEntry("dev/kmsplugin/ports/testkit/" + file.getFileName()));
                    out.write(Files.readAllBytes(file));
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    private static final String PROBE = """
            package probe;

            import dev.kmsplugin.domain.call.CallContext;
            import dev.kmsplugin.domain.envelope.Plaintext;
            import dev.kmsplugin.domain.health.Health;
            import dev.kmsplugin.domain.key.KeyId;
            import dev.kmsplugin.ports.inbound.*;
            import dev.kmsplugin.ports.outbound.Telemetry;
            import dev.kmsplugin.ports.spi.*;
            import dev.kmsplugin.ports.testkit.MapSettings;
            import java.nio.file.*;
            import java.time.*;
            import java.util.*;

            public class Probe {
                public static void main(String[] args) throws Exception {
                    TransportProvider provider = ServiceLoader.load(TransportProvider.class).stream()
                            .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("grpc")).findFirst()
                            .orElseThrow();
                    Settings settings = MapSettings.reference("kms.grpc").with("listen-addr", args[0]);
                    EnvelopeEncryption service = new EnvelopeEncryption() {
                        public EncryptResult encrypt(Plaintext plaintext, CallContext call) {
                            throw new UnsupportedOperationException(); }
                        public Plaintext decrypt(DecryptRequest request, CallContext call) {
                            throw new UnsupportedOperationException(); }
                        public StatusReport status() {
                            return new StatusReport("ok", Optional.of(new KeyId("probe")),
                                    new Health(Health.State.HEALTHY, "ok", null, null)); }
                    };
                    Transport transport = provider.create(new PluginContext(settings, Telemetry.none(),
                            Clock.systemUTC()), service);
                    transport.start();
                    try {
                        transport.selfCheck(Duration.ofSeconds(10));
                        Path socket = Path.of(args[0].substring("unix://".length()));
                        System.out.println("self-check passed on " + transport.endpoint() + " mode "
                                + java.nio.file.attribute.PosixFilePermissions.toString(
                                        Files.getPosixFilePermissions(socket)));
                    } finally {
                        transport.shutdown(Duration.ofSeconds(1));
                    }
                }
            }
            """;
}
