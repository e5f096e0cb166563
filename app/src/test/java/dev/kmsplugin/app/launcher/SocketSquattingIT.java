package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An unprivileged local user squats the socket path in a shared directory (as /tmp is: mode 1777) before the plugin,
 * run as root through the packaged launcher, starts: the plugin must call it an impostor, loudly, and never serve
 * from a directory another user can write to. The test runs as root (CI does) and makes the user with useradd; it
 * fails, rather than skipping, when it cannot.
 */
class SocketSquattingIT {

    static final String USER = "kms-squat-it";
    private Path shared;
    private Process impostor;

    @BeforeEach
    void sharedDirectoryAndUser() throws Exception {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assertEquals(0, self, "this test plays an unprivileged user against a root plugin: run it as root (CI does)");
        ensureUser(USER);
        shared = ShortTempDirs.create("squat-it-");
        Files.setAttribute(shared, "unix:mode", 01777);
    }

    @AfterEach
    void clean() throws Exception {
        if (impostor != null) {
            impostor.destroyForcibly();
            impostor.waitFor(10, TimeUnit.SECONDS);
        }
        for (Path dir : List.of(shared, simDir())) {
            ShortTempDirs.delete(dir);
        }
    }

    private Path simDir() {
        return shared.getParent().resolve(shared.getFileName() + "-sim");
    }

    static void ensureUser(String user) throws Exception {
        Process id = new ProcessBuilder("id", "-u", user).redirectErrorStream(true).start();
        if (id.waitFor() == 0) {
            return;
        }
        Process add = new ProcessBuilder("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                user).redirectErrorStream(true).start();
        String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(add.waitFor(30, TimeUnit.SECONDS) && add.exitValue() == 0,
                "useradd " + user + " failed (Debian: apt-get install passwd): " + out);
    }

    private GrpcLauncherIT.Run serve(Path socket) throws Exception {
        return GrpcLauncherIT.run(List.of(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(),
                "--backend=hsm-sim", "--sim-dir=" + simDir(),
                "--listen-addr=unix://" + socket), new byte[0]);
    }

    @Test
    void a_socket_another_user_serves_is_named_an_impostor_in_an_error_line_and_the_exit_message() throws Exception {
        Path socket = shared.resolve("kms.sock");
        impostor = new ProcessBuilder("setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups", "/usr/bin/python3",
                "-c", "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8);"
                        + " print('listening', flush=True); time.sleep(300)", socket.toString())
                .redirectErrorStream(true).start();
        String ready = new BufferedReader(new InputStreamReader(impostor.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertEquals("listening", ready, "the impostor did not start (needs setpriv from util-linux and /usr/bin/python3)");

        GrpcLauncherIT.Run run = serve(socket);
        assertEquals(2, run.exitCode(), run.err());
        String output = run.err() + run.out();
        assertTrue(output.contains("IMPOSTOR on " + socket) && output.contains("a process of another user"), output);
        assertTrue(output.lines().anyMatch(line -> line.contains(" ERROR ") && line.contains("IMPOSTOR")),
                "an ERROR line names it:\n" + output);
        assertTrue(!output.contains("another process is serving"), output);
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the plugin does not touch another's socket");
    }

    @Test
    void a_directory_another_user_can_write_to_is_refused_even_with_the_sticky_bit() throws Exception {
        GrpcLauncherIT.Run run = serve(shared.resolve("kms.sock"));
        assertEquals(2, run.exitCode(), run.err());
        assertTrue((run.err() + run.out()).contains("is writable by group or others (mode 1777)"), run.err());
        assertTrue(!Files.exists(shared.resolve("kms.sock"), LinkOption.NOFOLLOW_LINKS));
    }
}
