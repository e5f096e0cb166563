package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the packaged launcher {@code bin/kms-plugin} as a separate process, as operators do. */
class LauncherIT {

    static final Path DISTRIBUTION = Path.of(System.getProperty("kms.distribution", "target/kms-plugin"));

    record Run(int exitCode, String out, String err) {
    }

    static Run launch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(DISTRIBUTION.resolve("bin/kms-plugin").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "launcher did not exit within 60 s");
        return new Run(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void help_prints_usage_with_every_backend_and_exits_0() throws Exception {
        assertTrue(Files.isExecutable(DISTRIBUTION.resolve("bin/kms-plugin")), "launcher is not executable");
        Run run = launch("--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage:"), run.out());
        assertTrue(run.out().contains("hsm-sim"), "ServiceLoader on the module path found no simulator: " + run.out());
        assertTrue(run.out().contains("keyvault"), "ServiceLoader on the module path found no Key Vault: " + run.out());
        assertTrue(run.out().contains("--listen-addr") || run.out().contains("--backend"), run.out());
    }

    @Test
    void version_prints_json_and_exits_0() throws Exception {
        Run run = launch("--version");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().trim().startsWith("{\"BuildVersion\":\""), run.out());
    }

    @Test
    void unknown_flag_is_a_usage_error_with_exit_code_2() throws Exception {
        Run run = launch("--no-such-flag=1");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("unknown flag --no-such-flag"), run.err());
    }

    @Test
    void unknown_backend_names_the_available_ones() throws Exception {
        Run run = launch("--backend=nope");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("no backend named 'nope'; available: hsm-sim, keyvault"), run.err());
    }

    @Test
    void no_flags_prints_only_the_configuration_error_and_exits_2() throws Exception {
        Run run = launch();
        assertEquals(2, run.exitCode(), run.err());
        assertEquals("", run.out());
        // Nothing is opened (and so nothing logged) before the settings are checked: the error is all there is.
        assertEquals("kms-plugin: Key Vault backend: kms.keyvault.vault-name is not set (set it with --keyvault-name);"
                + " kms.keyvault.key-name is not set (set it with --key-name); to run the local simulator instead,"
                + " use --backend=hsm-sim --sim-dir=DIR (see kms-plugin --help)\n", run.err());
    }

    @Test
    void a_bad_transport_setting_stops_start_up_before_any_endpoint_or_token_exists() throws Exception {
        Path dir = ShortTempDirs.create("launcher-it-");
        try {
            Path simDir = dir.resolve("sim");
            Run run = launch("--backend=hsm-sim", "--sim-dir=" + simDir, "--socket-mode=0000",
                    "--listen-addr=unix://" + dir.resolve("kms.sock"));
            assertEquals(2, run.exitCode(), run.err());
            assertEquals("", run.out());
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.err().startsWith("kms-plugin: gRPC transport settings are invalid: "), run.err());
            assertTrue(!Files.exists(simDir), "a simulator token was created before the settings were checked");
        } finally {
            ShortTempDirs.delete(dir);
        }
    }

    @Test
    void each_command_help_shows_its_usage_line_and_its_own_flags() throws Exception {
        Object[][] cases = {
            {new String[] {"client", "encrypt", "--help"}, "usage: kms-plugin client ",
                new String[] {"--listen-addr", "--client-api", "--client-output"}, "--client-key-id"},
            {new String[] {"sim", "rotate", "--help"}, "usage: kms-plugin sim ",
                new String[] {"--sim-dir", "--sim-key-name"}, "--etcd-endpoints"},
            {new String[] {"storage", "audit", "--help"}, "usage: kms-plugin storage audit ",
                new String[] {"--etcd-endpoints", "--etcd-cacert", "--require-none-under", "--output"},
                "--listen-addr"},
            {new String[] {"keyvault", "check", "--help"}, "usage: kms-plugin keyvault ",
                new String[] {"--keyvault-name", "--key-name", "--managed-hsm"}, "--key-size"},
        };
        for (Object[] c : cases) {
            String[] args = (String[]) c[0];
            Run run = launch(args);
            String what = String.join(" ", args) + ":\n" + run.out() + run.err();
            assertEquals(0, run.exitCode(), what);
            assertTrue(run.out().startsWith((String) c[1]), what);
            assertTrue(run.out().contains("\nFlags:\n"), what);
            for (String flag : (String[]) c[2]) {
                assertTrue(run.out().contains("  " + flag + " "), flag + " missing from " + what);
            }
            assertTrue(!run.out().contains("  " + c[3] + " "), c[3] + " is not a flag of " + what);
            // Not the global help: no backend list, no serving flags.
            assertTrue(!run.out().contains("Backends (--backend)") && !run.out().contains("--max-concurrent-calls"),
                    what);
        }
    }
}
