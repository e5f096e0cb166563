package dev.kmsplugin.adapter.keyvault;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.PluginContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Makes the Azure Key Vault / Managed HSM backend; flags keep the Go plugin's names and meaning. */
public final class KeyVaultBackendProvider implements BackendProvider {

    private static final String NS = "kms.keyvault.";

    @Override
    public String name() {
        return "keyvault";
    }

    @Override
    public String summary() {
        return "Azure Key Vault or Managed HSM (RSA-OAEP-256 wrap/unwrap)";
    }

    @Override
    public List<Flag> flags() {
        return declaredFlags();
    }

    /** The backend's flags, also how its settings reader names the flag of a path. */
    /** How an operator sets {@code path} under {@code kms.keyvault}, for messages: {@code --keyvault-name}. */
    static String flag(String path) {
        return Flag.spelled(declaredFlags(), NS + path);
    }

    static List<Flag> declaredFlags() {
        return List.of(
                Flag.string("keyvault-name", NS + "vault-name", "Azure Key Vault or Managed HSM name"),
                Flag.string("key-name", NS + "key-name", "name of the RSA key that wraps data keys"),
                Flag.string("key-version", NS + "key-version",
                        "pin this key version; empty = versionless (newest enabled version, re-read periodically)"),
                Flag.bool("managed-hsm", NS + "managed-hsm", "the key lives in a Managed HSM pool"),
                Flag.string("config-file-path", NS + "config-file-path",
                        "cloud and credentials file, JSON or YAML"),
                Flag.bool("proxy-mode", NS + "proxy-mode", "send Key Vault and Entra ID traffic through a proxy"),
                Flag.string("proxy-address", NS + "proxy-address", "proxy address for --proxy-mode"),
                Flag.integer("proxy-port", NS + "proxy-port", "proxy port for --proxy-mode"),
                Flag.bool("proxy-allow-remote", NS + "proxy-allow-remote",
                        "allow a --proxy-address that is not loopback (proxy traffic is clear text)"),
                Flag.string("wrap", NS + "wrap",
                        "local (wrap with the key version's public key, no Key Vault call per Encrypt) or "
                                + "remote (Key Vault wrapKey per Encrypt, each in the vault's audit log)"),
                Flag.string("key-type", NS + "create.key-type",
                        "keyvault create-key: RSA-HSM or RSA (software-protected)"),
                Flag.integer("key-size", NS + "create.key-size", "keyvault create-key: 2048, 3072 or 4096"),
                Flag.duration("key-expires-in", NS + "create.expires-in",
                        "keyvault create-key/rotate-key: expiry of the new version from now"),
                Flag.duration("rotate-every", NS + "create.rotate-every",
                        "keyvault create-key: rotation policy adding a version this often, in whole days, e.g. 4380h"),
                Flag.duration("notify-before-expiry", NS + "create.notify-before-expiry",
                        "keyvault create-key: rotation policy notification before expiry, in whole days, e.g. 336h"),
                Flag.bool("add-version", NS + "create.add-version",
                        "keyvault create-key: add a version when the key already exists"),
                Flag.bool("dry-run", NS + "retire.dry-run",
                        "keyvault retire-version/restore-version: check and print, change nothing"),
                Flag.duration("min-successor-age", NS + "retire.min-successor-age",
                        "keyvault retire-version: how long the next version must have been current (when unset: "
                                + "refresh interval + 3m + 1m; required with --key-version)"));
    }

    @Override
    public List<Command> commands() {
        return List.of(new KeyVaultCommand(System.getenv(), KeyVaultBackendProvider::defaultHttpClient));
    }

    @Override
    public void validate(PluginContext context) {
        KeyVaultSettings.read(context.settings());
    }

    @Override
    public Backend create(PluginContext context) {
        KeyVaultSettings settings = KeyVaultSettings.read(context.settings());
        KeyVaultKekBackend keys = open(settings, System.getenv(), defaultHttpClient(settings), context.telemetry(),
                context.clock());
        return new Backend(keys, Optional.of(keys.goPluginReader()));
    }

    /**
     * Every version of the configured key, read once from Key Vault with the serving identity: no round trip, no
     * background work. Needs the key permissions {@code list} and (versionless mode) {@code get}.
     */
    @Override
    public KeyInventory keyInventory(PluginContext context) {
        KeyVaultSettings settings = KeyVaultSettings.read(context.settings());
        return inventory(settings, System.getenv(), defaultHttpClient(settings), context.telemetry(), context.clock());
    }

    /** The inventory; tests pass their own environment and an HTTP client trusting their server. */
    static KeyInventory inventory(KeyVaultSettings settings, Map<String, String> env, HttpClient http,
                                  Telemetry telemetry, Clock clock) {
        return KeyVaultKeyInventory.read(settings, env, http, telemetry, clock);
    }

    /** Builds and starts the backend; tests pass their own environment and an HTTP client trusting their server. */
    static KeyVaultKekBackend open(KeyVaultSettings settings, Map<String, String> env, HttpClient http,
                                   Telemetry telemetry, Clock clock) {
        KeyVaultKekBackend backend = new KeyVaultKekBackend(settings, KeyVaultConnection.open(settings, env, http),
                telemetry, clock);
        try {
            backend.start();
            return backend;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    // java.net.http rather than Netty: measured smaller and faster to start (docs/keyvault.md, "HTTP client").
    // HTTP/1.1: no h2c upgrade attempts towards a plain-HTTP proxy in proxy mode.
    static HttpClient defaultHttpClient(KeyVaultSettings settings) {
        return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1))
                .connectionTimeout(Duration.ofSeconds(2)).build();
    }

}
