package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The key operations Key Vault performs for the plugin, each run by the retry loop. A version must look like a Key
 * Vault version (32 hex digits) before any request names it; SDK clients are kept per version, at most
 * {@link #MAX_CLIENTS}, least recently used first out, so ciphertext headers naming random versions cannot fill
 * the heap.
 */
final class KeyVaultCrypto {

    static final int MAX_CLIENTS = 32;
    private static final Pattern VERSION = Pattern.compile("[0-9a-f]{32}");

    private final KeyVaultConnection connection;
    private final RetryLoop retries;
    private final Function<KeyRef, KeyVaultErrors.Target> targets;
    private final Map<String, CryptographyAsyncClient> clients = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CryptographyAsyncClient> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    /** @param targets names a version for the retry loop, with its restore command when it is not current */
    KeyVaultCrypto(KeyVaultConnection connection, RetryLoop retries, Function<KeyRef, KeyVaultErrors.Target> targets) {
        this.connection = connection;
        this.retries = retries;
        this.targets = targets;
    }

    /** RSA-OAEP-256 wrap in Key Vault; the caller wipes {@code clear}. */
    byte[] wrap(KeyRef key, byte[] clear, CallContext call) {
        return retries.run(Operation.WRAP_KEY, targets.apply(key), call, timeout ->
                client(key).wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, clear).timeout(timeout).block().getEncryptedKey());
    }

    /** RSA-OAEP-256 unwrap in Key Vault; the caller wipes the result. */
    byte[] unwrap(KeyRef key, byte[] wrapped, CallContext call) {
        return retries.run(Operation.UNWRAP_KEY, targets.apply(key), call, timeout ->
                client(key).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).timeout(timeout).block().getKey());
    }

    /** Key Vault {@code decrypt}, which only the Go plugin's ciphertexts need; the caller wipes the result. */
    byte[] decrypt(KeyRef key, EncryptionAlgorithm algorithm, byte[] encrypted, CallContext call) {
        return retries.run(Operation.DECRYPT, targets.apply(key), call, timeout ->
                client(key).decrypt(algorithm, encrypted).timeout(timeout).block().getPlainText());
    }

    /** Refuses, before any request, a version Key Vault could never have issued. */
    static void checkVersion(KeyRef key) {
        if (!VERSION.matcher(key.version()).matches()) {
            throw new KmsException.InvalidInput("key version '" + KeyVaultErrors.oneLine(key.version())
                    + "' is not a Key Vault version (32 hex digits); the ciphertext was not written by this plugin "
                    + "with Key Vault, or was altered");
        }
    }

    int clientCount() {
        synchronized (clients) {
            return clients.size();
        }
    }

    private CryptographyAsyncClient client(KeyRef key) {
        checkVersion(key);
        synchronized (clients) {
            return clients.computeIfAbsent(key.version(), version -> connection.crypto(key));
        }
    }
}
