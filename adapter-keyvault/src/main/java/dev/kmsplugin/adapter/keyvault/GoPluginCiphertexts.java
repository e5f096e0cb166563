package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.inbound.Origin;
import dev.kmsplugin.ports.outbound.ForeignCiphertexts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Go plugin's ciphertexts: the ASCII base64url text of a Key Vault encrypt result, no header. KMS v1 used
 * RSA1_5; KMS v2 used RSA-OAEP-256 and annotated {@code version.azure.akv.io=1}. The Go plugin always decrypted with
 * its pinned {@code --key-version}; that version, the configured legacy versions and the current one are tried in
 * turn.
 */
final class GoPluginCiphertexts implements ForeignCiphertexts {

    // Go-plugin ciphertexts are the ASCII text of Key Vault's base64url result.
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+={0,2}");
    static final String GO_VERSION_ANNOTATION = "version.azure.akv.io";
    static final String GO_ALGORITHM_ANNOTATION = "algorithm.azure.akv.io";

    private final KeyVaultSettings settings;
    private final KeyVaultKekBackend backend;
    private final KeyVaultCrypto crypto;

    GoPluginCiphertexts(KeyVaultKekBackend backend) {
        this.settings = backend.settings();
        this.backend = backend;
        this.crypto = backend.crypto();
    }

    @Override
    public Plaintext decrypt(Ciphertext ciphertext, Origin origin, CallContext call) {
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
        KmsException last = null;
        for (String version : candidates()) {
            KeyRef key = new KeyRef(settings.keyName(), version);
            try {
                byte[] clear = crypto.decrypt(key, algorithm, encrypted, call);
                try {
                    return new Plaintext(clear);
                } finally {
                    Arrays.fill(clear, (byte) 0);
                }
            } catch (KmsException.IntegrityFailure | KmsException.UnknownKeyVersion e) {
                last = e;
            }
        }
        throw new KmsException.IntegrityFailure("no configured key version could decrypt this Go-plugin ciphertext ("
                + algorithm + "; tried " + candidates() + "); list the --key-version the Go plugin ran with in "
                + "kms.keyvault.legacy-key-versions", last);
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
        KeyRef current = backend.currentRef();
        if (current != null) {
            versions.add(current.version());
        }
        return new ArrayList<>(versions);
    }
}
