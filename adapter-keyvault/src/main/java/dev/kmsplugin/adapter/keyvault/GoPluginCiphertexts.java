package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.inbound.Origin;
import dev.kmsplugin.ports.outbound.ForeignCiphertexts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.function.Supplier;

/**
 * The Go plugin's ciphertexts: the ASCII base64url text of a Key Vault encrypt result, no header. KMS v1 used
 * RSA1_5; KMS v2 used RSA-OAEP-256 and annotated {@code version.azure.akv.io=1}. Read only when migrating from the
 * Go plugin ({@link KeyVaultSettings#readsGoPluginCiphertexts()}), and only inputs of the right shape reach Key
 * Vault: exactly an RSA modulus long, and for KMS v2 only under the version the request's key_id names. Every
 * failure after that is one uniform error, so the answers tell nothing about the padding.
 */
final class GoPluginCiphertexts implements ForeignCiphertexts {

    // Go-plugin ciphertexts are the ASCII text of Key Vault's base64url result.
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+={0,2}");
    // RSA 2048, 3072 and 4096: the only sizes a Key Vault RSA key can have for the plugin.
    private static final Set<Integer> MODULUS_BYTES = Set.of(256, 384, 512);
    private static final int DATA_KEY_BYTES = 32;
    static final String GO_VERSION_ANNOTATION = "version.azure.akv.io";
    static final String GO_ALGORITHM_ANNOTATION = "algorithm.azure.akv.io";

    private final KeyVaultSettings settings;
    private final KeyVaultCrypto crypto;
    private final VaultAddress address;
    private final Supplier<KeyRef> current;

    /** @param current the version new data keys are wrapped with, or null before start-up resolved it */
    GoPluginCiphertexts(KeyVaultSettings settings, KeyVaultCrypto crypto, VaultAddress address,
                        Supplier<KeyRef> current) {
        this.settings = settings;
        this.crypto = crypto;
        this.address = address;
        this.current = current;
    }

    @Override
    public Plaintext decrypt(Ciphertext ciphertext, Origin origin, CallContext call) {
        if (!settings.readsGoPluginCiphertexts()) {
            throw new KmsException.InvalidInput("ciphertext is not this plugin's format, and reading the Go "
                    + "plugin's ciphertexts is off (kms.keyvault.go-plugin-ciphertexts; auto reads them only when "
                    + KeyVaultBackendProvider.flag("key-version") + " or legacy-key-versions is set)");
        }
        String text = new String(ciphertext.bytes(), StandardCharsets.US_ASCII);
        if (!BASE64URL.matcher(text).matches()) {
            throw new KmsException.InvalidInput("ciphertext is neither this plugin's format nor the base64url text "
                    + "the Go plugin (Azure/kubernetes-kms) wrote; it cannot be decrypted");
        }
        EncryptionAlgorithm algorithm = origin instanceof Origin.KmsV2 v2 ? v2Algorithm(v2.annotations())
                : EncryptionAlgorithm.RSA1_5;
        byte[] encrypted;
        try {
            encrypted = Base64.getUrlDecoder().decode(text.replace("=", ""));
        } catch (IllegalArgumentException e) {
            throw new KmsException.InvalidInput("Go-plugin ciphertext is not valid base64url");
        }
        if (!MODULUS_BYTES.contains(encrypted.length)) {
            throw new KmsException.InvalidInput("ciphertext is not this plugin's format, and at " + encrypted.length
                    + " bytes it is not a Go-plugin ciphertext either (those are 256, 384 or 512 bytes)");
        }
        List<String> versions = origin instanceof Origin.KmsV2 v2 ? boundTo(v2.keyId()) : candidates();
        for (String version : versions) {
            KeyRef key = new KeyRef(settings.keyName(), version);
            try {
                byte[] clear = crypto.decrypt(key, algorithm, encrypted, call);
                try {
                    if (clear.length == DATA_KEY_BYTES) {
                        return new Plaintext(clear);
                    }
                } finally {
                    Arrays.fill(clear, (byte) 0);
                }
            } catch (KmsException.IntegrityFailure | KmsException.UnknownKeyVersion | KmsException.InvalidInput e) {
                // one uniform answer below, whatever the reason
            }
        }
        throw new KmsException.IntegrityFailure("no configured key version could decrypt this Go-plugin ciphertext; "
                + "list the " + KeyVaultBackendProvider.flag("key-version")
                + " the Go plugin ran with in kms.keyvault.legacy-key-versions");
    }

    // KMS v2 names the version through the key_id stored beside the ciphertext: only that version is asked.
    private List<String> boundTo(Optional<KeyId> keyId) {
        List<String> bound = new ArrayList<>();
        for (String version : candidates()) {
            if (keyId.isPresent() && address.keyId(new KeyRef(settings.keyName(), version)).equals(keyId.get())) {
                bound.add(version);
            }
        }
        if (bound.isEmpty()) {
            throw new KmsException.IntegrityFailure("no configured key version could decrypt this Go-plugin "
                    + "ciphertext; list the " + KeyVaultBackendProvider.flag("key-version")
                    + " the Go plugin ran with in kms.keyvault.legacy-key-versions");
        }
        return bound;
    }

    private static EncryptionAlgorithm v2Algorithm(Annotations annotations) {
        String version = annotations.text(GO_VERSION_ANNOTATION).orElse("");
        if (!version.equals("1")) {
            throw new KmsException.InvalidInput("ciphertext has no header of this plugin and its annotations "
                    + "lack " + GO_VERSION_ANNOTATION + "=1, so it is not a Go-plugin KMS v2 ciphertext either");
        }
        String alg = annotations.text(GO_ALGORITHM_ANNOTATION).orElse("RSA-OAEP-256");
        if (!alg.equals("RSA-OAEP-256")) {
            throw new KmsException.InvalidInput("Go-plugin ciphertext names algorithm '" + alg
                    + "'; only RSA-OAEP-256 was ever written by it for KMS v2");
        }
        return EncryptionAlgorithm.RSA_OAEP_256;
    }

    private List<String> candidates() {
        Set<String> versions = new LinkedHashSet<>();
        settings.keyVersion().ifPresent(versions::add);
        versions.addAll(settings.legacyKeyVersions());
        KeyRef current = this.current.get();
        if (current != null) {
            versions.add(current.version());
        }
        return new ArrayList<>(versions);
    }
}
