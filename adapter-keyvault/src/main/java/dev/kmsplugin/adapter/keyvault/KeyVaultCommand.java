package dev.kmsplugin.adapter.keyvault;

import static dev.kmsplugin.adapter.keyvault.KeyVaultBackendProvider.flag;

import com.azure.core.http.HttpClient;
import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.models.CreateRsaKeyOptions;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyRotationLifetimeAction;
import com.azure.security.keyvault.keys.models.KeyRotationPolicy;
import com.azure.security.keyvault.keys.models.KeyRotationPolicyAction;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.retirement.Retirement;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Synopsis;
import java.io.PrintStream;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code kms-plugin keyvault create-key|rotate-key|check|retire-version|restore-version}: provisions, checks and
 * retires key versions with the same flags and config file as serving. The plugin never creates keys while serving.
 * {@code retire-version V} disables one version (never deletes it) after {@link Retirement}'s checks, reading the
 * stored data through the storage plugin; {@code restore-version V} enables it again.
 *
 * <p>Exit codes: 0 success; 1 Key Vault unavailable or another failure; 2 bad command line or a key that is
 * misconfigured for the plugin (also: a version the key lacks); 4 key or version not found; 5 the identity lacks a
 * permission; 6 retirement refused (current version, successor too young, stored data still depends on it).
 */
final class KeyVaultCommand implements Command {


    private static final List<String> VAULT = List.of("keyvault-name", "key-name");
    private static final List<String> ACCESS = List.of("managed-hsm", "config-file-path", "proxy-mode",
            "proxy-address", "proxy-port");
    private static final Synopsis SYNOPSIS = new Synopsis("keyvault", List.of(
            new Synopsis.Form("create-key|rotate-key", VAULT, Synopsis.names(ACCESS, List.of("key-type", "key-size",
                    "key-expires-in", "rotate-every", "notify-before-expiry", "add-version")), ""),
            new Synopsis.Form("check", VAULT, Synopsis.names(ACCESS, List.of("key-version", "wrap")), ""),
            new Synopsis.Form("retire-version|restore-version VERSION", VAULT, Synopsis.names(ACCESS, List.of("dry-run",
                    "min-successor-age", "etcd-endpoints", "etcd-cacert", "etcd-cert", "etcd-key", "etcd-prefix")),
                    "")));
    private static final String OFFICER = "run it as an operator identity with the RBAC role 'Key Vault Crypto "
            + "Officer' on the key, or the access policy key permissions get, list, update (the serving identity's "
            + "'Key Vault Crypto Service Encryption User' lacks 'update')";
    private static final String GRANT = "grant the identity the RBAC role 'Key Vault Crypto Service Encryption User' "
            + "on the key (Managed HSM: 'Managed HSM Crypto Service Encryption User'), or the access policy key "
            + "permissions " + KeyVaultErrors.SERVING_PERMISSIONS;
    private static final Duration BUDGET = Duration.ofSeconds(30);
    // Creating an HSM-protected key takes Key Vault seconds, not the milliseconds a wrap does.
    private static final Duration COMMAND_ATTEMPT = Duration.ofSeconds(10);

    private final Map<String, String> env;
    private final Function<KeyVaultSettings, HttpClient> http;
    private final Clock clock;

    KeyVaultCommand(Map<String, String> env, Function<KeyVaultSettings, HttpClient> http) {
        this(env, http, Clock.systemUTC());
    }

    /** @param clock what "now" is for the successor's age */
    KeyVaultCommand(Map<String, String> env, Function<KeyVaultSettings, HttpClient> http, Clock clock) {
        this.env = env;
        this.http = http;
        this.clock = clock;
    }

    @Override
    public Synopsis synopsis() {
        return SYNOPSIS;
    }

    @Override
    public String name() {
        return "keyvault";
    }

    @Override
    public String summary() {
        return "create-key, rotate-key or check the Key Vault / Managed HSM key (" + flag("vault-name") + ", "
                + flag("key-name") + "); retire-version or restore-version VERSION";
    }

    @Override
    public ExitCode run(Invocation invocation) {
        PrintStream out = invocation.out();
        PrintStream err = invocation.err();
        List<String> words = invocation.arguments();
        boolean versionWord = words.size() == 2 && List.of("retire-version", "restore-version").contains(words.get(0));
        if (!versionWord && (words.size() != 1 || !List.of("create-key", "rotate-key", "check").contains(words.get(0)))) {
            err.println(SYNOPSIS.brief());
            return ExitCode.USAGE;
        }
        try {
            KeyVaultSettings settings = KeyVaultSettings.read(invocation.settings());
            return switch (words.get(0)) {
                case "create-key" -> createKey(settings, CreateOptions.read(invocation.settings(), settings), out);
                case "rotate-key" -> rotateKey(settings, CreateOptions.read(invocation.settings(), settings), out);
                case "retire-version", "restore-version" -> retirement(words.get(0), words.get(1).trim(), settings,
                        RetireOptions.read(invocation.settings()), invocation, out);
                default -> check(settings, out, err);
            };
        } catch (KmsException e) {
            err.println("kms-plugin keyvault " + words.get(0) + ": " + e.getMessage());
            if (e instanceof KmsException.AccessDenied && words.get(0).endsWith("-version")
                    && e.getMessage().contains("'update'")) {
                err.println("to fix: " + OFFICER);
            }
            return ExitCode.of(e);
        }
    }

    private ExitCode retirement(String word, String version, KeyVaultSettings settings, RetireOptions options,
                           Command.Invocation invocation, PrintStream out) {
        boolean retire = word.equals("retire-version");
        if (retire && settings.keyVersion().isPresent() && options.minSuccessorAge().isEmpty()) {
            // Pinned serving switches version when each node is restarted, which no timestamp in Key Vault records.
            throw new KmsException.Misconfigured(flag("key-version") + " pins serving to " + settings.keyVersion().get()
                    + ": when every node switched to it is known only to you, not from Key Vault's timestamps; give "
                    + flag("retire.min-successor-age") + " explicitly (e.g. 0s once every node has run with the new"
                    + " version for long enough)");
        }
        KeyInventory inventory = KeyVaultKeyInventory.read(settings, env, http.apply(settings), Telemetry.none(),
                clock);
        KeyVaultConnection connection = connect(settings);
        Retirement.Switch vault = new KeyVaultVersionSwitch(settings, connection, retries(settings, connection, clock));
        if (!retire) {
            return Retirement.restore(version, inventory, vault, options.dryRun(), out);
        }
        return Retirement.retire(new Retirement.Request(version, options.minSuccessorAge(),
                settings.refreshInterval(), options.dryRun()), inventory, vault,
                () -> invocation.collaborators().storedData(), clock, out);
    }

    private KeyVaultConnection connect(KeyVaultSettings settings) {
        return KeyVaultConnection.open(settings, env, http.apply(settings));
    }

    /** How a command calls Key Vault: each attempt within {@link #COMMAND_ATTEMPT}, tokens dropped when refused. */
    private static RetryLoop retries(KeyVaultSettings settings, KeyVaultConnection connection, Clock clock) {
        return new RetryLoop(settings.withCallTimeout(COMMAND_ATTEMPT), Telemetry.none(), clock,
                connection::forgetTokens);
    }

    private ExitCode createKey(KeyVaultSettings settings, CreateOptions options, PrintStream out) {
        KeyVaultConnection connection = connect(settings);
        RetryLoop resilience = retries(settings, connection, Clock.systemUTC());
        KeyAsyncClient keys = connection.keys();
        String name = settings.keyName();
        Optional<KeyVaultKey> existing = find(resilience, keys, name);
        if (existing.isPresent() && !options.addVersion()) {
            KeyVaultKey key = existing.get();
            out.println("key '" + name + "' already exists in " + connection.address.canonicalUrl()
                    + " (newest version "
                    + key.getProperties().getVersion() + ", " + describe(key) + "); nothing changed");
            out.println("use " + flag("create.add-version")
                    + " to add a version, or 'kms-plugin keyvault check' to verify it");
            return ExitCode.OK;
        }
        KeyVaultKey created = create(resilience, keys, name, options.hsm(), options.size(), options);
        out.println((existing.isPresent() ? "added version " : "created key '" + name + "' version ")
                + created.getProperties().getVersion() + " in " + connection.address.canonicalUrl() + " ("
                + describe(created) + ")");
        out.println("key_id " + connection.address.keyId(new KeyRef(name, created.getProperties().getVersion())));
        if (!options.rotateEvery().isZero()) {
            KeyRotationPolicy policy = policy(options);
            resilience.run(Operation.SET_ROTATION_POLICY, "key " + name, call(),
                    timeout -> keys.updateKeyRotationPolicy(name, policy).timeout(timeout).block());
            out.println("rotation policy: a new version every " + options.rotateEvery().toDays() + " days"
                    + (options.notifyBefore().isZero() ? ""
                    : ", notification " + options.notifyBefore().toDays() + " days before expiry"));
        }
        return ExitCode.OK;
    }

    private ExitCode rotateKey(KeyVaultSettings settings, CreateOptions options, PrintStream out) {
        KeyVaultConnection connection = connect(settings);
        RetryLoop resilience = retries(settings, connection, Clock.systemUTC());
        KeyAsyncClient keys = connection.keys();
        String name = settings.keyName();
        KeyVaultKey current = find(resilience, keys, name).orElseThrow(() -> new KmsException.UnknownKeyVersion(
                "key '" + name + "' does not exist in " + connection.address.canonicalUrl()
                + "; create it with 'kms-plugin keyvault create-key'"));
        // The new version is of the same kind as the newest one, so the plugin's checks still pass.
        boolean hsm = KeyType.RSA_HSM.equals(current.getKey().getKeyType()) || settings.managedHsm();
        int bits = new BigInteger(1, current.getKey().getN()).bitLength();
        KeyVaultKey created = create(resilience, keys, name, hsm, bits, options);
        String version = created.getProperties().getVersion();
        out.println("key '" + name + "' version " + version + " added (" + describe(created) + ")");
        out.println("key_id " + connection.address.keyId(new KeyRef(name, version)));
        out.println(settings.versionless()
                ? "a versionless plugin makes it current within " + settings.refreshInterval().toSeconds()
                + " s (refresh-interval); earlier versions stay usable for decryption"
                : "the plugin is pinned with " + flag("key-version") + "; set " + flag("key-version") + "="
                        + version + " and restart it");
        return ExitCode.OK;
    }

    private ExitCode check(KeyVaultSettings settings, PrintStream out, PrintStream err) {
        // The serving start-up verification, with the configured identity: key, type, size, operations, round trip.
        try (KeyVaultKekBackend backend = KeyVaultBackendProvider.open(settings, env, http.apply(settings),
                Telemetry.none(), Clock.systemUTC())) {
            KeyVersion key = backend.current();
            out.println("OK: " + backend.describe() + ", version " + key.ref().version());
            out.println("  enabled, RSA of 2048 bits or more, its operations include wrapKey and unwrapKey");
            out.println(settings.wrap() == KeyVaultSettings.WrapMode.LOCAL
                    ? "  a round trip succeeded: wrapped here with the version's public key (" + flag("wrap")
                    + "=local), unwrapped by Key Vault; the identity's wrapKey permission was not used (only "
                    + flag("wrap") + "=remote needs it)"
                    : "  a round trip succeeded: wrapped and unwrapped by Key Vault (" + flag("wrap") + "=remote)");
            out.println("key_id " + key.keyId());
            return ExitCode.OK;
        } catch (KmsException e) {
            err.println("kms-plugin keyvault check: " + e.getMessage());
            if (e instanceof KmsException.AccessDenied && !e.getMessage().contains("disabled")) {
                err.println("to fix: " + GRANT);
            }
            return ExitCode.of(e);
        }
    }

    private static Optional<KeyVaultKey> find(RetryLoop resilience, KeyAsyncClient keys, String name) {
        try {
            return Optional.of(resilience.run(Operation.GET, "key " + name, call(),
                    timeout -> keys.getKey(name).timeout(timeout).block()));
        } catch (KmsException.UnknownKeyVersion e) {
            return Optional.empty();
        }
    }

    private static KeyVaultKey create(RetryLoop resilience, KeyAsyncClient keys, String name, boolean hsm, int bits,
                                      CreateOptions options) {
        CreateRsaKeyOptions create = new CreateRsaKeyOptions(name).setHardwareProtected(hsm).setKeySize(bits)
                .setKeyOperations(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY);
        if (!options.expiresIn().isZero()) {
            create.setExpiresOn(OffsetDateTime.now().plus(options.expiresIn()));
        }
        return resilience.run(Operation.CREATE, "key " + name, call(),
                timeout -> keys.createRsaKey(create).timeout(timeout).block());
    }

    private static KeyRotationPolicy policy(CreateOptions options) {
        List<KeyRotationLifetimeAction> actions = new ArrayList<>();
        actions.add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.ROTATE)
                .setTimeAfterCreate("P" + options.rotateEvery().toDays() + "D"));
        if (!options.notifyBefore().isZero()) {
            actions.add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.NOTIFY)
                    .setTimeBeforeExpiry("P" + options.notifyBefore().toDays() + "D"));
        }
        KeyRotationPolicy policy = new KeyRotationPolicy().setLifetimeActions(actions);
        if (!options.expiresIn().isZero()) {
            policy.setExpiresIn("P" + options.expiresIn().toDays() + "D");
        }
        return policy;
    }

    private static String describe(KeyVaultKey key) {
        int bits = key.getKey().getN() == null ? 0 : new BigInteger(1, key.getKey().getN()).bitLength();
        return key.getKey().getKeyType() + ", " + bits + " bits, operations " + key.getKey().getKeyOps()
                + (key.getProperties().getExpiresOn() == null ? "" : ", expires " + key.getProperties().getExpiresOn());
    }

    private static CallContext call() {
        return CallContext.internal("keyvault-command", BUDGET);
    }
}
