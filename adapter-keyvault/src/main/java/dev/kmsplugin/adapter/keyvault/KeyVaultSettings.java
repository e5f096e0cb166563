package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** The {@code kms.keyvault} settings, read and validated once; every problem is reported together. */
record KeyVaultSettings(
        String vaultName,
        String keyName,
        Optional<String> keyVersion,
        boolean managedHsm,
        Path configFile,
        boolean proxyMode,
        String proxyAddress,
        int proxyPort,
        AuthKind auth,
        List<String> legacyKeyVersions,
        Optional<String> endpoint,
        Optional<String> authorityHost,
        Duration refreshInterval,
        Duration probeInterval,
        Duration healthGrace,
        Duration callTimeout,
        int maxAttempts,
        Duration retryBaseDelay,
        Duration retryMaxDelay,
        Duration startupTimeout,
        GoPluginReading goPluginCiphertexts,
        boolean proxyAllowRemote,
        WrapMode wrap) {

    // The Go plugin's rule for --keyvault-name; Key Vault itself allows the same set.
    private static final Pattern VAULT_NAME = Pattern.compile("^[-A-Za-z0-9]+$");
    private static final Pattern KEY_NAME = Pattern.compile("^[-A-Za-z0-9]{1,127}$");
    private static final Pattern KEY_VERSION = Pattern.compile("^[A-Za-z0-9]{1,64}$");

    /** Whether Go-plugin ciphertexts are read: {@code AUTO} = only when migrating (pinned or legacy versions). */
    enum GoPluginReading {
        AUTO, ON, OFF
    }

    /**
     * Where data keys are wrapped: {@code LOCAL} with the current version's public key in this process (RSA-OAEP-256
     * is a public-key operation; Encrypt makes no Key Vault call), {@code REMOTE} by Key Vault's wrapKey (every wrap
     * in the vault's audit log). Unwrap is always Key Vault's.
     */
    enum WrapMode {
        LOCAL, REMOTE
    }

    /** Credential kinds; {@code AUTO} applies the selection rules of docs/keyvault.md. */
    enum AuthKind {
        AUTO, MANAGED_IDENTITY, CLIENT_SECRET, CLIENT_CERTIFICATE, WORKLOAD_IDENTITY, ENVIRONMENT;

        static AuthKind parse(String text) {
            for (AuthKind kind : values()) {
                if (kind.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
                    return kind;
                }
            }
            return null;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    static KeyVaultSettings read(Settings settings) {
        SettingsCheck check = new SettingsCheck(settings, "kms.keyvault", KeyVaultBackendProvider.declaredFlags());
        String vaultName = trimmed(settings.optionalString("vault-name").orElse(""));
        if (vaultName.isEmpty()) {
            check.unset("vault-name");
        } else if (vaultName.length() < 3 || vaultName.length() > 24 || !VAULT_NAME.matcher(vaultName).matches()) {
            check.problem(check.flag("vault-name") + " '" + vaultName
                    + "' is invalid: 3-24 characters of letters, digits and '-'");
        }
        String keyName = trimmed(settings.optionalString("key-name").orElse(""));
        if (keyName.isEmpty()) {
            check.unset("key-name");
        } else if (!KEY_NAME.matcher(keyName).matches()) {
            check.problem(check.flag("key-name") + " '" + keyName
                    + "' is invalid: 1-127 characters of letters, digits and '-'");
        }
        Optional<String> keyVersion = Optional.of(trimmed(settings.optionalString("key-version").orElse("")))
                .filter(v -> !v.isEmpty());
        keyVersion.filter(v -> !KEY_VERSION.matcher(v).matches()).ifPresent(v ->
                check.problem(check.flag("key-version") + " '" + v
                        + "' is invalid: Key Vault versions are letters and digits"));
        List<String> legacy = new ArrayList<>();
        for (String version : settings.strings("legacy-key-versions")) {
            String v = trimmed(version);
            if (!KEY_VERSION.matcher(v).matches()) {
                check.problem(check.path("legacy-key-versions") + " holds an invalid version '" + v + "'");
            } else if (!legacy.contains(v)) {
                legacy.add(v);
            }
        }
        boolean proxyMode = settings.bool("proxy-mode");
        String proxyAddress = settings.optionalString("proxy-address").orElse("").trim();
        int proxyPort = settings.integer("proxy-port");
        if (proxyMode && proxyAddress.isEmpty()) {
            check.problem(check.flag("proxy-mode") + " needs " + check.flag("proxy-address"));
        }
        boolean allowRemote = settings.bool("proxy-allow-remote");
        if (proxyMode && !proxyAddress.isEmpty() && !loopback(proxyAddress) && !allowRemote) {
            check.problem(check.flag("proxy-address") + " " + proxyAddress
                    + " is not a loopback address: proxy mode sends tokens and key material in clear text, so it is"
                    + " meant for a node-local proxy; set "
                    + check.flag("proxy-allow-remote") + " (" + check.path("proxy-allow-remote")
                    + ") to allow another address");
        }
        if (proxyPort < 1 || proxyPort > 65535) {
            check.problem(check.flag("proxy-port") + " " + proxyPort + " is not a TCP port");
        }
        AuthKind auth = AuthKind.parse(settings.string("auth"));
        if (auth == null) {
            check.problem(check.path("auth") + " '" + settings.string("auth")
                    + "' is not one of auto, managed-identity, "
                    + "client-secret, client-certificate, workload-identity, environment");
        }
        Optional<String> endpoint = settings.optionalString("endpoint").map(String::trim).filter(s -> !s.isEmpty());
        endpoint.filter(e -> !e.startsWith("https://")).ifPresent(e ->
                check.problem(check.path("endpoint") + " must be an https:// URL"));
        Optional<String> authority = settings.optionalString("authority-host").map(String::trim)
                .filter(s -> !s.isEmpty());
        authority.filter(e -> !e.startsWith("https://")).ifPresent(e ->
                check.problem(check.path("authority-host") + " must be an https:// URL"));
        int maxAttempts = settings.integer("max-attempts");
        if (maxAttempts < 1 || maxAttempts > 10) {
            check.problem(check.path("max-attempts") + " must be between 1 and 10");
        }
        Duration callTimeout = check.positive("call-timeout");
        if (callTimeout.compareTo(Duration.ofSeconds(3)) >= 0) {
            check.problem(check.path("call-timeout") + " must stay below the apiserver's 3 s");
        }
        String goText = settings.string("go-plugin-ciphertexts");
        GoPluginReading goPlugin = named(GoPluginReading.class, goText);
        if (goPlugin == null) {
            check.problem(check.path("go-plugin-ciphertexts") + " '" + goText + "' is not one of auto, on, off");
        }
        String wrapText = settings.string("wrap");
        WrapMode wrap = named(WrapMode.class, wrapText);
        if (wrap == null) {
            check.problem(check.flag("wrap") + " '" + KeyVaultErrors.oneLine(wrapText) + "' (" + check.path("wrap")
                    + ") is not one of local "
                    + "(wrap with the key version's public key in the plugin, no Key Vault call) or remote (Key "
                    + "Vault wrapKey on every Encrypt)");
        }
        KeyVaultSettings result = new KeyVaultSettings(vaultName, keyName, keyVersion, settings.bool("managed-hsm"),
                Path.of(settings.string("config-file-path").trim()), proxyMode, proxyAddress, proxyPort, auth,
                List.copyOf(legacy), endpoint, authority,
                check.positive("refresh-interval"), check.positive("probe-interval"),
                check.nonNegative("health-grace"), callTimeout, maxAttempts,
                check.positive("retry-base-delay"), check.positive("retry-max-delay"),
                check.positive("startup-timeout"), goPlugin, allowRemote, wrap);
        if (check.failed()) {
            // The default backend is Key Vault: a newcomer who wanted the offline simulator lands here first.
            String hint = vaultName.isEmpty() && keyName.isEmpty() ? "; to run the local simulator instead, use "
                    + "--backend=hsm-sim --sim-dir=DIR (see kms-plugin --help)" : "";
            throw new KmsException.Misconfigured("Key Vault backend: " + check.problems() + hint);
        }
        return result;
    }

    /** The same settings with another per-attempt timeout (operator commands are not bound by the apiserver's). */
    KeyVaultSettings withCallTimeout(Duration timeout) {
        return new KeyVaultSettings(vaultName, keyName, keyVersion, managedHsm, configFile, proxyMode, proxyAddress,
                proxyPort, auth, legacyKeyVersions, endpoint, authorityHost, refreshInterval, probeInterval,
                healthGrace, timeout, maxAttempts, retryBaseDelay, retryMaxDelay, startupTimeout, goPluginCiphertexts,
                proxyAllowRemote, wrap);
    }

    /** Go-plugin ciphertexts are read only where a deployment migrates from it, unless the setting says otherwise. */
    boolean readsGoPluginCiphertexts() {
        return switch (goPluginCiphertexts) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> keyVersion.isPresent() || !legacyKeyVersions.isEmpty();
        };
    }

    boolean versionless() {
        return keyVersion.isEmpty();
    }

    // localhost or a loopback literal (127.0.0.0/8, ::1); host names are not resolved here.
    /** The constant of {@code type} named {@code text}, ignoring case and surrounding blanks; null when none is. */
    private static <E extends Enum<E>> E named(Class<E> type, String text) {
        for (E value : type.getEnumConstants()) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        return null;
    }

    static boolean loopback(String address) {
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1)
                : address;
        if (a.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!a.matches("[0-9.]+") && !a.contains(":")) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(a).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** The Go plugin trims surrounding whitespace and double quotes (values pasted from JSON or shell). */
    static String trimmed(String value) {
        String v = value.trim();
        while (v.startsWith("\"")) {
            v = v.substring(1).trim();
        }
        while (v.endsWith("\"")) {
            v = v.substring(0, v.length() - 1).trim();
        }
        return v;
    }
}
