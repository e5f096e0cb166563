package dev.kmsplugin.adapter.grpc.client;

import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Synopsis;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code kms-plugin client status|version|encrypt|decrypt}: talks to a running plugin over its socket, as the
 * apiserver would, so an operator can check a node by hand.
 *
 * <p>Exit codes: 0 success (and, for status, healthy); 1 the plugin answered with an error or is unhealthy;
 * 2 the command line or input is wrong; 3 the plugin could not be reached.
 */
public final class ClientCommand implements Command {

    /** Data keys are 32 bytes; anything near this is not a data key. */
    static final int MAX_STDIN_BYTES = 64 * 1024;
    static final String JSON = "json";
    static final String BASE64 = "base64";

    private final List<Flag> flags;

    /** @param flags the transport's declared flags, which name the settings in messages */
    public ClientCommand(List<Flag> flags) {
        this.flags = List.copyOf(flags);
    }

    @Override
    public String name() {
        return "client";
    }

    @Override
    public String summary() {
        return "status|version|encrypt|decrypt: call a running plugin on --listen-addr";
    }

    @Override
    public ExitCode run(Invocation invocation) {
        PrintStream out = invocation.out();
        PrintStream err = invocation.err();
        List<String> words = invocation.arguments();
        if (words.size() != 1 || !List.of("status", "version", "encrypt", "decrypt").contains(words.get(0))) {
            err.println(SYNOPSIS.brief());
            return ExitCode.USAGE;
        }
        String operation = words.get(0);
        Settings settings = invocation.settings();
        // Every bad setting is reported at once (SettingsCheck), not the first alone.
        SettingsCheck check = new SettingsCheck(settings, "kms.grpc", flags);
        ListenAddress address = check.attempt(() -> ListenAddress.parse(settings.string("listen-addr")));
        String api = check.attempt(() -> settings.string("client.api"));
        Duration timeout = check.attempt(() -> settings.duration("client.timeout"));
        String output = settings.string("client.output");
        if (api != null && !api.equals("v2") && !api.equals("v1")) {
            check.problem(check.flag("client.api") + " is '" + api + "'; use v2 or v1");
        }
        if (!output.equals(JSON) && !output.equals(BASE64)) {
            check.problem(check.flag("client.output") + " is '" + output + "'; use json or base64");
        }
        if (check.failed()) {
            err.println("kms-plugin client: " + check.problems());
            return ExitCode.USAGE;
        }
        if (!address.isAbstract() && !Files.exists(address.path())) {
            err.println("kms-plugin client: no socket at " + address.path() + "; is the plugin running with"
                    + " " + check.flag("listen-addr") + "=" + address + "?");
            return ExitCode.UNREACHABLE;
        }
        try (KmsClient client = KmsClient.connect(address, false)) {
            try {
                return switch (operation) {
                    case "status" -> status(client, api, timeout, out, err);
                    case "version" -> version(client, timeout, out);
                    case "encrypt" -> encrypt(client, api, timeout, output, invocation.in(), out, err);
                    default -> decrypt(client, api, timeout, settings, invocation.in(), out, err);
                };
            } catch (StatusRuntimeException e) {
                Status status = e.getStatus();
                if (status.getCode() == Status.Code.UNAVAILABLE && (client.cannotConnect()
                        || status.getCause() instanceof java.net.ConnectException
                        || status.getCause() instanceof java.io.FileNotFoundException)) {
                    err.println("kms-plugin client: cannot connect to " + address + ": " + (status.getCause() == null
                            ? status.getDescription() : status.getCause().getMessage()));
                    return ExitCode.UNREACHABLE;
                }
                err.println("kms-plugin client: " + operation + " failed: " + status.getCode() + ": "
                        + status.getDescription());
                if (operation.equals("decrypt") && status.getCode() == Status.Code.INVALID_ARGUMENT
                        && String.valueOf(status.getDescription()).contains("does not belong to the key version")) {
                    err.println("kms-plugin client: the ciphertext was written under another key version than the"
                            + " key_id sent; pipe in the JSON that 'client encrypt' printed (it carries the key_id),"
                            + " or pass " + check.flag("client.key-id") + "=<the key_id printed by encrypt>");
                }
                return ExitCode.FAILED;
            } catch (BadInput e) {
                err.println("kms-plugin client: " + e.getMessage());
                return ExitCode.USAGE;
            }
        } catch (KmsException e) {
            err.println("kms-plugin client: " + e.getMessage());
            return ExitCode.of(e);
        }
    }

    private static ExitCode status(KmsClient client, String api, Duration timeout, PrintStream out, PrintStream err) {
        if (api.equals("v1")) {
            // v1beta1 has no Status; its Version call is the apiserver's health probe for v1 plugins.
            return version(client, timeout, out);
        }
        StatusResponse status = client.status(timeout);
        out.println("version: " + status.getVersion());
        out.println("healthz: " + status.getHealthz());
        out.println("key_id: " + status.getKeyId());
        if (!status.getHealthz().equals("ok")) {
            err.println("kms-plugin client: the plugin is not healthy");
            return ExitCode.FAILED;
        }
        return ExitCode.OK;
    }

    private static ExitCode version(KmsClient client, Duration timeout, PrintStream out) {
        VersionResponse version = client.version(timeout);
        out.println("version: " + version.getVersion());
        out.println("runtime_name: " + version.getRuntimeName());
        out.println("runtime_version: " + version.getRuntimeVersion());
        return ExitCode.OK;
    }

    private static ExitCode encrypt(KmsClient client, String api, Duration timeout, String output, InputStream in,
            PrintStream out, PrintStream err) {
        byte[] plaintext = readStdin(in);
        try {
            if (plaintext.length == 0) {
                throw new BadInput("stdin is empty; pipe the data key to encrypt into the command");
            }
            CiphertextEnvelope envelope;
            if (api.equals("v1")) {
                envelope = new CiphertextEnvelope("v1", client.encryptV1(plaintext, timeout), Optional.empty(),
                        Map.of());
            } else {
                EncryptResponse response = client.encrypt(plaintext, uid(), timeout);
                Map<String, byte[]> annotations = new LinkedHashMap<>();
                response.getAnnotationsMap().forEach((name, value) -> annotations.put(name, value.toByteArray()));
                envelope = new CiphertextEnvelope("v2", response.getCiphertext().toByteArray(),
                        Optional.of(response.getKeyId()), annotations);
                err.println("key_id: " + response.getKeyId());
            }
            out.println(output.equals(JSON) ? envelope.toJson()
                    : Base64.getEncoder().encodeToString(envelope.ciphertext()));
            return ExitCode.OK;
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    private static ExitCode decrypt(KmsClient client, String api, Duration timeout, Settings settings, InputStream in,
            PrintStream out, PrintStream err) {
        String text = new String(readStdin(in), StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            throw new BadInput("stdin is empty; pipe the output of 'client encrypt' into it");
        }
        byte[] ciphertext;
        Optional<String> envelopeKeyId = Optional.empty();
        Map<String, byte[]> annotations = Map.of();
        if (CiphertextEnvelope.looksLikeJson(text)) {
            CiphertextEnvelope envelope;
            try {
                envelope = CiphertextEnvelope.parse(text);
            } catch (IllegalArgumentException e) {
                throw new BadInput("stdin is not the JSON that 'client encrypt' prints: " + e.getMessage());
            }
            // The envelope says which API wrote it, and that API is the one that can read it.
            api = envelope.api();
            ciphertext = envelope.ciphertext();
            envelopeKeyId = envelope.keyId();
            annotations = envelope.annotations();
        } else {
            try {
                ciphertext = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new BadInput("stdin is neither the JSON that 'client encrypt' prints nor base64: "
                        + e.getMessage());
            }
        }
        byte[] plaintext;
        if (api.equals("v1")) {
            plaintext = client.decryptV1(ciphertext, timeout);
        } else {
            String keyId = settings.optionalString("client.key-id").filter(id -> !id.isEmpty())
                    .orElse(envelopeKeyId.orElse(null));
            if (keyId == null) {
                // Bare base64 without --client-key-id: assume the data was written under the current key version.
                keyId = client.status(timeout).getKeyId();
            }
            plaintext = client.decrypt(ciphertext, keyId, annotations, uid(), timeout);
        }
        try {
            out.write(plaintext);
            out.flush();
        } catch (IOException e) {
            err.println("kms-plugin client: cannot write the plaintext: " + e.getMessage());
            return ExitCode.FAILED;
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
        return ExitCode.OK;
    }

    private static final List<String> CALL = List.of("listen-addr", "client-api", "client-timeout");
    private static final Synopsis SYNOPSIS = new Synopsis("client", List.of(
            new Synopsis.Form("status|version", List.of(), CALL, ""),
            new Synopsis.Form("encrypt", List.of(), Synopsis.names(CALL, List.of("client-output")),
                    "reads a data key on stdin and prints one line of JSON: the ciphertext (base64), the key_id and"
                            + " annotations a later decrypt needs; base64 output is the bare ciphertext"),
            new Synopsis.Form("decrypt", List.of(), Synopsis.names(CALL, List.of("client-key-id")),
                    "reads that JSON, or bare base64 (then it sends the key_id given, or the current one), on stdin"
                            + " and writes the data key")));

    @Override
    public Synopsis synopsis() {
        return SYNOPSIS;
    }

    private static byte[] readStdin(InputStream in) {
        try {
            byte[] bytes = in.readNBytes(MAX_STDIN_BYTES + 1);
            if (bytes.length > MAX_STDIN_BYTES) {
                throw new BadInput("stdin holds more than " + MAX_STDIN_BYTES + " bytes; a data key is 32 bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new BadInput("cannot read stdin: " + e.getMessage());
        }
    }

    private static String uid() {
        return "kms-plugin-client-" + UUID.randomUUID();
    }

    private static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }
}
