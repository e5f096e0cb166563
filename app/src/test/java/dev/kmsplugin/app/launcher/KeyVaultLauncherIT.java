package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged launcher with {@code --backend=keyvault} on the module path, against the test Key Vault (a separate
 * process serving HTTPS on loopback with a certificate that only the launcher's JVM is told to trust, through
 * {@code KMS_PLUGIN_JAVA_OPTS=-Djavax.net.ssl.trustStore=...}). The real SDK, real TLS, real tokens.
 */
class KeyVaultLauncherIT {

    static final Path DISTRIBUTION = LauncherIT.DISTRIBUTION.toAbsolutePath();
    static final Path WORK = DISTRIBUTION.getParent().resolve("keyvault-it");
    static Process vault;
    static PrintStream vaultInput;
    static BufferedReader vaultOutput;
    static String url;
    static String trustStore;
    static String password;
    static String version;

    @BeforeAll
    static void startTestKeyVault() throws Exception {
        Path adapter = DISTRIBUTION.getParent().getParent().getParent().resolve("adapter-keyvault/target");
        assertTrue(Files.isDirectory(adapter.resolve("test-classes")),
                "build adapter-keyvault's tests first (the test Key Vault lives there): " + adapter);
        String classPath = adapter.resolve("test-classes") + java.io.File.pathSeparator + adapter.resolve("classes")
                + java.io.File.pathSeparator + System.getProperty("java.class.path");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        vault = new ProcessBuilder(java.toString(), "-cp", classPath,
                "dev.kmsplugin.adapter.keyvault.TestKeyVaultMain", WORK.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        vaultInput = new PrintStream(vault.getOutputStream(), true, StandardCharsets.UTF_8);
        vaultOutput = new BufferedReader(new InputStreamReader(vault.getInputStream(), StandardCharsets.UTF_8));
        String ready = vaultOutput.readLine();
        assertTrue(ready != null && ready.startsWith("READY "), "test Key Vault did not start: " + ready);
        for (String part : ready.substring(6).split(" ")) {
            String[] kv = part.split("=", 2);
            switch (kv[0]) {
                case "url" -> url = kv[1];
                case "truststore" -> trustStore = kv[1];
                case "password" -> password = kv[1];
                case "version" -> version = kv[1];
                default -> { }
            }
        }
        Files.writeString(WORK.resolve("test-endpoint.conf"), "kms.keyvault.endpoint = \"" + url + "\"\n"
                + "kms.keyvault.authority-host = \"" + url + "\"\n");
    }

    @AfterAll
    static void stopTestKeyVault() throws InterruptedException {
        if (vault != null) {
            vaultInput.close();
            if (!vault.waitFor(5, TimeUnit.SECONDS)) {
                vault.destroyForcibly();
            }
        }
    }

    /** A launcher process whose output is collected as it comes. */
    static final class Plugin implements AutoCloseable {
        final Process process;
        final StringBuffer output = new StringBuffer();
        private final Thread reader;

        Plugin(List<String> args, Map<String, String> extraEnv) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(DISTRIBUTION.resolve("bin/kms-plugin").toString());
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().keySet().removeIf(name -> name.startsWith("AZURE_"));
            builder.environment().put("KMS_PLUGIN_JAVA_OPTS", "-Djavax.net.ssl.trustStore=" + trustStore
                    + " -Djavax.net.ssl.trustStorePassword=" + password);
            builder.environment().putAll(extraEnv);
            process = builder.start();
            reader = new Thread(() -> copy(process.getInputStream()), "plugin-output");
            reader.setDaemon(true);
            reader.start();
        }

        private void copy(InputStream in) {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }

        boolean awaitOutput(Predicate<String> condition, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                if (condition.test(output.toString())) {
                    return true;
                }
                if (!process.isAlive() && condition.test(output.toString())) {
                    return true;
                }
                Thread.sleep(50);
            }
            return condition.test(output.toString());
        }

        int exitCode(long seconds) throws InterruptedException {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "plugin did not exit; output:\n" + output);
            // The reader has all the output once it has read to the end of the stream the process closed.
            reader.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(reader.isAlive(), "the plugin's output did not end after it exited");
            return process.exitValue();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(15, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    static List<String> keyVaultFlags(String keyName, String configFile) {
        return new ArrayList<>(List.of("--backend=keyvault", "--keyvault-name=myvault", "--key-name=" + keyName,
                "--config-file-path=" + configFile, "--config=" + WORK.resolve("test-endpoint.conf")));
    }

    /**
     * {@link #keyVaultFlags} for serving {@code keyName} on {@code socket}, with a configuration (written under
     * {@link #WORK}) that refreshes the current key version every second.
     */
    static List<String> fastRefreshFlags(String keyName, String socket) throws IOException {
        Path fastRefresh = WORK.resolve(keyName + "-refresh.conf");
        Files.writeString(fastRefresh, "include file(\"" + WORK.resolve("test-endpoint.conf")
                + "\")\nkms.keyvault.refresh-interval = 1s\n");
        List<String> flags = keyVaultFlags(keyName, WORK.resolve("azure.json").toString());
        flags.removeIf(flag -> flag.startsWith("--config="));
        flags.add("--config=" + fastRefresh);
        flags.add("--listen-addr=unix://" + socket);
        return flags;
    }

    /** A fresh data key, encrypted (KMS v2) by the plugin serving on {@code socket}: the ciphertext's bytes. */
    static byte[] encrypt(String socket) throws Exception {
        Run run = client(socket, ApiserverValues.random(32), "encrypt", "--client-output=base64");
        assertEquals(0, run.exitCode(), run.err());
        return Base64.getDecoder().decode(run.out().strip());
    }

    record Run(int exitCode, String out, String err) {
    }

    /**
     * {@code kms-plugin ARGS} as a process that trusts the test Key Vault's certificate and sees no AZURE_*
     * variable of this machine; stdin closed.
     */
    static Run launchTrustingTheVault(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(DISTRIBUTION.resolve("bin/kms-plugin").toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("AZURE_"));
        builder.environment().put("KMS_PLUGIN_JAVA_OPTS", "-Djavax.net.ssl.trustStore=" + trustStore
                + " -Djavax.net.ssl.trustStorePassword=" + password);
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "did not exit: " + command);
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    /** {@code kms-plugin client ...} as a process, stdin given. */
    static Run client(String socket, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(DISTRIBUTION.resolve("bin/kms-plugin").toString(), "client"));
        command.addAll(List.of(args));
        command.add("--listen-addr=unix://" + socket);
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().write(stdin);
        process.getOutputStream().close();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "client did not exit: " + command);
        return new Run(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static String vaultCommand(String line, String answerPrefix) throws IOException {
        vaultInput.println(line);
        for (String answer = vaultOutput.readLine(); answer != null; answer = vaultOutput.readLine()) {
            if (answer.startsWith(answerPrefix)) {
                return answer.substring(answerPrefix.length());
            }
        }
        throw new IOException("the test Key Vault ended");
    }

    static String goPluginKeyId(String keyVersion) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(
                ("https://myvault.vault.azure.net/keys/kek/" + keyVersion).getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(digest);
    }

    @Test
    void both_kms_apis_round_trip_through_the_real_sdk_and_rotation_keeps_old_data_readable() throws Exception {
        Path socketDir = ShortTempDirs.create("kv-it-");
        String socket = socketDir.resolve("kms.sock").toString();
        Path fastRefresh = WORK.resolve("fast-refresh.conf");
        Files.writeString(fastRefresh, "include file(\"" + WORK.resolve("test-endpoint.conf") + "\")\n"
                + "kms.keyvault.refresh-interval = 1s\n"
                // this cluster migrates from the Go plugin: read its ciphertexts (auto needs a pinned version)
                + "kms.keyvault.go-plugin-ciphertexts = on\n");
        List<String> flags = keyVaultFlags("kek", WORK.resolve("azure.json").toString());
        flags.removeIf(flag -> flag.startsWith("--config="));
        flags.add("--config=" + fastRefresh);
        flags.add("--listen-addr=unix://" + socket);
        try (Plugin plugin = new Plugin(flags, Map.of())) {
            assertTrue(plugin.awaitOutput(out -> out.contains("serving KMS on"), 60), plugin.output.toString());
            String out = plugin.output.toString();
            assertTrue(out.contains("credential: service principal it-client with a client secret"), out);

            Run status = client(socket, new byte[0], "status");
            assertEquals(0, status.exitCode(), status.err());
            String firstKeyId = goPluginKeyId(version);
            assertTrue(status.out().contains("key_id: " + firstKeyId), status.out());

            byte[] dek = new byte[32];
            new java.security.SecureRandom().nextBytes(dek);
            Run v2 = client(socket, dek, "encrypt");
            assertEquals(0, v2.exitCode(), v2.err());
            assertTrue(v2.err().contains("key_id: " + firstKeyId), v2.err());
            Run v2back = client(socket, v2.out().getBytes(StandardCharsets.US_ASCII), "decrypt");
            assertEquals(0, v2back.exitCode(), v2back.err());
            assertEquals(new String(dek, StandardCharsets.ISO_8859_1), v2back.out());

            Run v1 = client(socket, dek, "encrypt", "--client-api=v1");
            assertEquals(0, v1.exitCode(), v1.err());
            Run v1back = client(socket, v1.out().getBytes(StandardCharsets.US_ASCII), "decrypt", "--client-api=v1");
            assertEquals(new String(dek, StandardCharsets.ISO_8859_1), v1back.out(), v1back.err());

            // What the Go plugin stored for KMS v1 reads back through this plugin unchanged.
            String goCiphertext = vaultCommand("go-v1 " + java.util.Base64.getEncoder().encodeToString(dek),
                    "GO-V1 ");
            Run legacy = client(socket, goCiphertext.getBytes(StandardCharsets.US_ASCII), "decrypt",
                    "--client-api=v1");
            assertEquals(0, legacy.exitCode(), legacy.err());
            assertEquals(new String(dek, StandardCharsets.ISO_8859_1), legacy.out());

            // A new version becomes current (versionless mode) and data written before still decrypts.
            String rotated = vaultCommand("rotate", "ROTATED version=");
            String secondKeyId = goPluginKeyId(rotated);
            assertTrue(plugin.awaitOutput(o -> o.contains("current key version changed"), 60), plugin.output.toString());
            Run after = client(socket, new byte[0], "status");
            assertTrue(after.out().contains("key_id: " + secondKeyId), after.out());
            Run old = client(socket, v2.out().getBytes(StandardCharsets.US_ASCII), "decrypt",
                    "--client-key-id=" + firstKeyId);
            assertEquals(0, old.exitCode(), old.err());
            assertEquals(new String(dek, StandardCharsets.ISO_8859_1), old.out());

            // A healthy run is quiet: no library chatter (restricted headers, "retry attempts exhausted" after no
            // retry, MSAL correlation ids) and no warning about an owner-only azure.json.
            String healthy = plugin.output.toString();
            assertTrue(healthy.lines().noneMatch(line -> line.contains(" com.azure.") || line.contains(" com.microsoft.")
                    || line.contains("accessible to group or others")), healthy);

            plugin.process.destroy(); // SIGTERM: drain and exit 0
            assertEquals(0, plugin.exitCode(30), plugin.output.toString());
            assertTrue(!plugin.output.toString().contains(Files.readString(WORK.resolve("azure.json"))
                    .replaceAll(".*\"aadClientSecret\":\"([^\"]+)\".*", "$1")), "the client secret was logged");
        } finally {
            Files.deleteIfExists(Path.of(socket));
            Files.deleteIfExists(socketDir);
        }
    }

    @Test
    void a_missing_key_stops_the_plugin_with_exit_code_4_and_says_which_key() throws Exception {
        try (Plugin plugin = new Plugin(keyVaultFlags("nokey", WORK.resolve("azure.json").toString()), Map.of())) {
            // not found: the exit code every command gives a missing key (ExitCode), serving included
            assertEquals(4, plugin.exitCode(30), plugin.output.toString());
            assertTrue(plugin.output.toString().contains("key nokey does not exist in the vault"),
                    plugin.output.toString());
        }
    }

    @Test
    void keyvault_check_and_create_key_run_from_the_launcher_with_the_serving_flags() throws Exception {
        List<String> check = new ArrayList<>(List.of("keyvault", "check"));
        check.addAll(keyVaultFlags("kek", WORK.resolve("azure.json").toString()));
        check.remove("--backend=keyvault");
        try (Plugin plugin = new Plugin(check, Map.of())) {
            assertEquals(0, plugin.exitCode(30), plugin.output.toString());
            assertTrue(plugin.output.toString().contains("OK: Azure Key Vault https://myvault.vault.azure.net/ key kek"),
                    plugin.output.toString());
        }
        List<String> create = new ArrayList<>(List.of("keyvault", "create-key"));
        create.addAll(keyVaultFlags("kek", WORK.resolve("azure.json").toString()));
        create.remove("--backend=keyvault");
        try (Plugin plugin = new Plugin(create, Map.of())) {
            assertEquals(0, plugin.exitCode(30), plugin.output.toString());
            assertTrue(plugin.output.toString().contains("already exists"), plugin.output.toString());
        }
        List<String> missing = new ArrayList<>(List.of("keyvault", "check"));
        missing.addAll(keyVaultFlags("nokey", WORK.resolve("azure.json").toString()));
        missing.remove("--backend=keyvault");
        try (Plugin plugin = new Plugin(missing, Map.of())) {
            assertEquals(4, plugin.exitCode(30), plugin.output.toString());
        }
    }

    @Test
    void no_credentials_is_a_configuration_error_with_exit_code_2() throws Exception {
        try (Plugin plugin = new Plugin(keyVaultFlags("kek", WORK.resolve("absent.json").toString()), Map.of())) {
            assertEquals(2, plugin.exitCode(30), plugin.output.toString());
            assertTrue(plugin.output.toString().contains("no credentials provided"), plugin.output.toString());
        }
    }
}
