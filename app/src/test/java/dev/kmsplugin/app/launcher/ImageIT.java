package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The jlink image as a node runs it: its own trimmed runtime, the application on the module path beside it, the
 * build-time CDS archive, and nothing taken from a JDK installed on the machine. Every process here starts with an
 * empty environment apart from PATH, as systemd and the kubelet start the plugin.
 */
class ImageIT {

    private static final Path IMAGE = LauncherIT.DISTRIBUTION.toAbsolutePath();
    private static final Path LAUNCHER = IMAGE.resolve("bin/kms-plugin");
    private static final String SYSTEM_PATH = "/usr/bin:/bin";

    // unix socket paths are limited to 107 bytes, so not under the build directory
    private final Path dir = ShortTempDirs.create("image-it-");
    private final List<Process> started = new ArrayList<>();


    @AfterEach
    void clean() throws IOException {
        started.forEach(Process::destroyForcibly);
        ShortTempDirs.delete(dir);
    }

    record Run(int exitCode, String out, String err) {
    }

    private Process start(Map<String, String> environment, String... args) throws IOException {
        return start(new ProcessBuilder(), environment, args);
    }

    private Process start(ProcessBuilder builder, Map<String, String> environment, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(Arrays.asList(args));
        builder.command(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear(); // env -i
        builder.environment().putAll(environment);
        Process process = builder.start();
        started.add(process);
        return process;
    }

    private Run run(Map<String, String> environment, String... args) throws Exception {
        Process process = start(environment, args);
        // read both streams before waiting: a full pipe would block the child
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread reader = new Thread(() -> {
            try {
                err.complete(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        reader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "launcher did not exit within 60 s: " + List.of(args));
        return new Run(process.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    @Test
    void the_image_is_a_trimmed_runtime_with_the_application_modules_beside_it() throws IOException {
        String release = Files.readString(IMAGE.resolve("release"));
        String modules = release.lines().filter(l -> l.startsWith("MODULES=")).findFirst().orElseThrow();
        for (String needed : List.of("java.base", "java.logging", "jdk.unsupported", "jdk.crypto.cryptoki",
                "jdk.crypto.ec")) {
            assertTrue(modules.contains(needed), needed + " missing from the runtime: " + modules);
        }
        for (String unneeded : List.of("java.desktop", "jdk.compiler", "java.sql", "jdk.jshell")) {
            assertFalse(modules.contains(unneeded), unneeded + " linked into the runtime: " + modules);
        }
        assertTrue(Files.isRegularFile(IMAGE.resolve("lib/modules")), "no lib/modules: not a jlink image");
        assertTrue(Files.isExecutable(IMAGE.resolve("bin/java")));
        for (String absent : List.of("jmods", "include", "man")) {
            assertFalse(Files.exists(IMAGE.resolve(absent)), absent + "/ should have been left out by jlink");
        }
        try (Stream<Path> app = Files.list(IMAGE.resolve("app"))) {
            List<String> jars = app.map(p -> p.getFileName().toString()).toList();
            assertTrue(jars.stream().anyMatch(j -> j.startsWith("app-") && j.endsWith(".jar")), jars.toString());
            assertTrue(jars.stream().anyMatch(j -> j.startsWith("grpc-netty-shaded-")), jars.toString());
        }
        try (Stream<Path> lib = Files.list(IMAGE.resolve("lib"))) {
            // the runtime's own lib/ must stay free of application jars: they belong on the module path in app/
            assertEquals(List.of("jrt-fs.jar"), lib.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".jar")).toList());
        }
    }

    @Test
    void version_runs_on_the_images_own_runtime_with_no_java_on_the_path_and_no_java_home() throws Exception {
        // a PATH holding the one tool the launcher script uses, and no java
        Path tools = Files.createDirectories(dir.resolve("tools"));
        Files.createSymbolicLink(tools.resolve("dirname"), Path.of("/usr/bin/dirname"));
        Run run = run(Map.of("PATH", tools.toString()), "--version");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().trim().startsWith("{\"BuildVersion\":\""), run.out());
        assertEquals("", run.err());

        Run settings = run(Map.of("PATH", SYSTEM_PATH, "KMS_PLUGIN_JAVA_OPTS", "-XshowSettings:properties"),
                "--version");
        assertEquals(0, settings.exitCode(), settings.err());
        assertTrue(settings.err().contains("java.home = " + IMAGE.toRealPath()),
                "ran on a runtime other than the image's even though the image has bin/java:\n" + settings.err());
    }

    @Test
    void application_classes_load_from_the_build_time_cds_archive_of_the_backend_named() throws Exception {
        for (String backend : BACKENDS) {
            assertTrue(Files.isRegularFile(archive(backend)), "no AppCDS archive for " + backend + ": the build's "
                    + "training runs need softhsm2 installed, and adapter-keyvault's test classes for keyvault");
        }
        Run run = run(Map.of("PATH", SYSTEM_PATH, "KMS_PLUGIN_JAVA_OPTS", "-Xlog:class+load=info"), "--version");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("dev.kmsplugin.app.Main source: shared objects file (top)"),
                "the launcher did not use the archive: " + run.out().lines()
                        .filter(l -> l.contains("dev.kmsplugin.app.Main")).toList());
    }

    @Test
    void the_cds_archives_are_readable_by_the_user_the_container_runs_as() throws Exception {
        // The image runs as 65532, not as the root that built it: an archive only its owner can read is silently
        // ignored there (-Xshare:auto), and every start pays for loading classes from the jars.
        for (String backend : BACKENDS) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(archive(backend));
            assertTrue(mode.contains(PosixFilePermission.OTHERS_READ), archive(backend) + " is "
                    + PosixFilePermissions.toString(mode) + "; the image's user could not read it");
            assertFalse(mode.contains(PosixFilePermission.OTHERS_WRITE)
                    || mode.contains(PosixFilePermission.GROUP_WRITE), PosixFilePermissions.toString(mode));
        }
    }

    @Test
    void each_backend_starts_with_the_archive_trained_on_its_own_start_path() throws Exception {
        // classes of the training runs' serve, Status and Encrypt paths, not only of the launcher's own start
        Map<List<String>, List<String>> trained = Map.of(
                List.of("--backend=hsm-sim", "--version"), List.of("dev.kmsplugin.adapter.softhsm.SoftHsmKekBackend"),
                List.of("sim", "--help"), List.of("dev.kmsplugin.adapter.softhsm.SoftHsmKekBackend"),
                // the default backend; the Azure SDK, Entra ID's client library
                List.of("--version"), List.of("dev.kmsplugin.adapter.keyvault.KeyVaultKekBackend",
                        "com.azure.security.keyvault.keys.KeyAsyncClient",
                        "com.microsoft.aad.msal4j.ConfidentialClientApplication"),
                List.of("--backend", "keyvault", "--version"), List.of(
                        "dev.kmsplugin.adapter.keyvault.KeyVaultKekBackend"));
        for (Map.Entry<List<String>, List<String>> command : trained.entrySet()) {
            Run run = run(Map.of("PATH", SYSTEM_PATH, "KMS_PLUGIN_JAVA_OPTS", "-XX:+PrintSharedArchiveAndExit"),
                    command.getKey().toArray(String[]::new));
            assertEquals(0, run.exitCode(), run.err());
            List<String> expected = new ArrayList<>(command.getValue());
            expected.add("dev.kmsplugin.adapter.grpc.kms.GrpcKmsV2Service");
            expected.add("io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel");
            for (String name : expected) {
                assertTrue(run.out().lines().anyMatch(l -> l.endsWith(": " + name + " app_loader")),
                        name + " is not in the archive " + command.getKey() + " starts with");
            }
        }
    }

    private static final List<String> BACKENDS = List.of("hsm-sim", "keyvault");

    private static Path archive(String backend) {
        return IMAGE.resolve("lib/kms-plugin-" + backend + ".jsa");
    }

    @Test
    void serves_the_simulator_and_answers_v2_status_when_started_with_an_empty_environment() throws Exception {
        Map<String, String> bare = Map.of("PATH", SYSTEM_PATH);
        Path socket = dir.resolve("kms.sock");
        String listen = "--listen-addr=unix://" + socket;
        Path log = dir.resolve("server.log");
        Process server = start(new ProcessBuilder().redirectErrorStream(true).redirectOutput(log.toFile()), bare,
                "--backend=hsm-sim", "--sim-dir=" + dir.resolve("sim"), listen,
                "--healthz-port=0", "--metrics-addr=127.0.0.1:0");
        Run status = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && server.isAlive()) {
            status = run(bare, "client", "status", listen);
            if (status.exitCode() == 0) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(server.isAlive(), "the server exited: " + Files.readString(log));
        assertTrue(status != null && status.exitCode() == 0, "no Status within 60 s: " + status);
        assertTrue(status.out().contains("healthz: ok"), status.out());
        // the launcher execs java, so the process is the JVM; a read-only root filesystem needs no /tmp copy
        String maps = Files.readString(Path.of("/proc/" + server.pid() + "/maps"));
        assertTrue(maps.contains(IMAGE.toRealPath().resolve("lib/netty") + "/libio_grpc_netty_shaded_netty_transport"
                + "_native_epoll_"), "Netty's epoll library was not loaded from the image");

        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM");
        assertEquals(0, server.exitValue(), Files.readString(log));
        assertFalse(Files.exists(socket), "socket left behind");
    }
}
