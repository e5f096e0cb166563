package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.grpc.client.ClientCommand;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.testkit.MapSettings;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** {@code kms-plugin client ...} against a running transport, with the exit codes operators script against. */
class ClientCommandTest extends PluginPerTest {

    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    private Result run(String word, byte[] stdin, Consumer<MapSettings> adjust) throws Exception {
        MapSettings settings = TransportSettings.at("unix://" + plugin.socket);
        adjust.accept(settings);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Command command = new GrpcTransportProvider().commands().get(0);
        assertEquals("client", command.name());
        int code = command.run(new Command.Invocation(word == null ? List.of() : List.of(word), settings,
                new ByteArrayInputStream(stdin), new PrintStream(out, true), new PrintStream(err, true))).code();
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private Result run(String word) throws Exception {
        return run(word, new byte[0], s -> { });
    }

    @Test
    void status_prints_version_healthz_and_key_id_and_exits_0() throws Exception {
        Result result = run("status");
        assertEquals(ExitCode.OK.code(), result.code(), result.err());
        assertEquals("version: v2\nhealthz: ok\nkey_id: " + plugin.currentKeyId().value() + "\n", result.text());
    }

    @Test
    void status_of_an_unhealthy_plugin_exits_1() throws Exception {
        plugin.keys.tracker().failed(new KmsException.AccessDenied("identity lost its role"));
        Result result = run("status");
        assertEquals(ExitCode.FAILED.code(), result.code());
        assertTrue(result.text().contains("identity lost its role"), result.text());
    }

    @Test
    void version_prints_the_v1beta1_answer() throws Exception {
        Result result = run("version");
        assertEquals(ExitCode.OK.code(), result.code(), result.err());
        assertTrue(result.text().startsWith("version: v1beta1\nruntime_name: kms-plugin\nruntime_version: "),
                result.text());
    }

    @Test
    void encrypt_prints_a_json_envelope_and_decrypt_reverses_it_over_v2_and_v1() throws Exception {
        for (String api : List.of("v2", "v1")) {
            byte[] dek = KmsRoundTripTest.dataKey();
            Result encrypted = run("encrypt", dek, s -> s.with("client.api", api));
            assertEquals(ExitCode.OK.code(), encrypted.code(), encrypted.err());
            String json = encrypted.text().trim();
            String expected = api.equals("v2")
                    ? "\\{\"api\":\"v2\",\"ciphertext\":\"[A-Za-z0-9+/]+=*\",\"key_id\":\""
                            + java.util.regex.Pattern.quote(plugin.currentKeyId().value()) + "\",\"annotations\":\\{}}"
                    : "\\{\"api\":\"v1\",\"ciphertext\":\"[A-Za-z0-9+/]+=*\"}";
            assertTrue(json.matches(expected), json);
            assertEquals(1, encrypted.text().lines().count(), encrypted.text());
            if (api.equals("v2")) {
                assertTrue(encrypted.err().contains("key_id: " + plugin.currentKeyId().value()), encrypted.err());
            }
            // The envelope names its API: decrypt needs no --client-api to read a v1 one.
            Result decrypted = run("decrypt", encrypted.out(), s -> { });
            assertEquals(ExitCode.OK.code(), decrypted.code(), decrypted.err());
            assertArrayEquals(dek, decrypted.out(), "round trip over " + api);
        }
    }

    @Test
    void client_output_base64_prints_the_bare_ciphertext_and_decrypt_still_reads_it() throws Exception {
        for (String api : List.of("v2", "v1")) {
            byte[] dek = KmsRoundTripTest.dataKey();
            Result encrypted = run("encrypt", dek, s -> s.with("client.api", api).with("client.output", "base64"));
            assertEquals(ExitCode.OK.code(), encrypted.code(), encrypted.err());
            String base64 = encrypted.text().trim();
            assertTrue(base64.matches("[A-Za-z0-9+/]+=*"), base64);
            Result decrypted = run("decrypt", encrypted.out(), s -> s.with("client.api", api));
            assertEquals(ExitCode.OK.code(), decrypted.code(), decrypted.err());
            assertArrayEquals(dek, decrypted.out(), "round trip over " + api);
        }
        Result bad = run("encrypt", KmsRoundTripTest.dataKey(), s -> s.with("client.output", "yaml"));
        assertEquals(ExitCode.USAGE.code(), bad.code());
        assertTrue(bad.err().contains("--client-output is 'yaml'; use json or base64"), bad.err());
        Result twice = run("encrypt", KmsRoundTripTest.dataKey(),
                s -> s.with("client.output", "yaml").with("client.api", "v3").with("client.timeout", "soon"));
        assertEquals(ExitCode.USAGE.code(), twice.code());
        for (String named : List.of("--client-output", "--client-api", "client.timeout")) {
            assertTrue(twice.err().contains(named), "every bad setting is reported at once: " + twice.err());
        }
    }

    @Test
    void the_json_envelope_decrypts_after_a_rotation_with_no_flags() throws Exception {
        byte[] dek = KmsRoundTripTest.dataKey();
        Result encrypted = run("encrypt", dek, s -> { });
        plugin.keys.rotate();
        Result decrypted = run("decrypt", encrypted.out(), s -> { });
        assertEquals(ExitCode.OK.code(), decrypted.code(), decrypted.err());
        assertArrayEquals(dek, decrypted.out());
    }

    @Test
    void bare_base64_written_under_an_earlier_key_version_needs_its_key_id_and_the_error_says_so()
            throws Exception {
        byte[] dek = KmsRoundTripTest.dataKey();
        String oldKeyId = plugin.currentKeyId().value();
        Result encrypted = run("encrypt", dek, s -> s.with("client.output", "base64"));
        plugin.keys.rotate();
        Result withoutKeyId = run("decrypt", encrypted.out(), s -> { });
        assertEquals(ExitCode.FAILED.code(), withoutKeyId.code());
        assertTrue(withoutKeyId.err().contains("INVALID_ARGUMENT"), withoutKeyId.err());
        assertTrue(withoutKeyId.err().contains("--client-key-id=<the key_id printed by encrypt>"),
                withoutKeyId.err());
        assertTrue(withoutKeyId.err().contains("JSON that 'client encrypt' printed"), withoutKeyId.err());
        Result decrypted = run("decrypt", encrypted.out(), s -> s.with("client.key-id", oldKeyId));
        assertEquals(ExitCode.OK.code(), decrypted.code(), decrypted.err());
        assertArrayEquals(dek, decrypted.out());
    }

    @Test
    void an_envelope_that_is_not_what_encrypt_prints_is_a_usage_error_naming_the_problem() throws Exception {
        Result noCiphertext = run("decrypt", "{\"api\":\"v2\"}".getBytes(StandardCharsets.UTF_8), s -> { });
        assertEquals(ExitCode.USAGE.code(), noCiphertext.code());
        assertTrue(noCiphertext.err().contains("no \"ciphertext\" member"), noCiphertext.err());
        Result truncated = run("decrypt", "{\"api\":\"v2\",\"ciphertext\":\"Z2Fy".getBytes(StandardCharsets.UTF_8),
                s -> { });
        assertEquals(ExitCode.USAGE.code(), truncated.code());
        assertTrue(truncated.err().contains("not the JSON that 'client encrypt' prints"), truncated.err());
    }

    @Test
    void input_that_is_not_base64_is_a_usage_error() throws Exception {
        Result result = run("decrypt", "not base64!!".getBytes(StandardCharsets.US_ASCII), s -> { });
        assertEquals(ExitCode.USAGE.code(), result.code());
        assertTrue(result.err().contains("neither the JSON that 'client encrypt' prints nor base64"), result.err());
    }

    @Test
    void a_ciphertext_the_plugin_rejects_exits_1_with_the_status_code() throws Exception {
        Result result = run("decrypt", "Z2FyYmFnZQ==".getBytes(StandardCharsets.US_ASCII), s -> s.with("client.api",
                "v1"));
        assertEquals(ExitCode.FAILED.code(), result.code());
        assertTrue(result.err().contains("decrypt failed: INVALID_ARGUMENT"), result.err());
    }

    @Test
    void an_unknown_word_or_api_is_a_usage_error() throws Exception {
        assertEquals(ExitCode.USAGE.code(), run("rotate").code());
        assertEquals(ExitCode.USAGE.code(), run(null).code());
        assertEquals(ExitCode.USAGE.code(), run("status", new byte[0], s -> s.with("client.api", "v3")).code());
    }

    @Test
    void a_plugin_that_is_not_running_exits_3() throws Exception {
        Result missing = run("status", new byte[0], s -> s.with("listen-addr", "unix://" + plugin.directory
                + "/absent.sock"));
        assertEquals(ExitCode.UNREACHABLE.code(), missing.code());
        assertTrue(missing.err().contains("no socket at"), missing.err());
        plugin.transport.shutdown(java.time.Duration.ZERO);
        java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX);
        dead.bind(java.net.UnixDomainSocketAddress.of(plugin.socket));
        dead.close(); // a stale file with no server behind it
        Result refused = run("status");
        assertEquals(ExitCode.UNREACHABLE.code(), refused.code(), refused.err());
        assertTrue(refused.err().contains("cannot connect"), refused.err());
    }
}
