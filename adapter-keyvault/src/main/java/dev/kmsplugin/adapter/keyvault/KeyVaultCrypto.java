package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The key operations Key Vault performs for the plugin, one SDK client per key version, each run by the retry loop. */
final class KeyVaultCrypto {

    private final KeyVaultConnection connection;
    private final RetryLoop retries;
    private final Map<String, CryptographyAsyncClient> clients = new ConcurrentHashMap<>();

    KeyVaultCrypto(KeyVaultConnection connection, RetryLoop retries) {
        this.connection = connection;
        this.retries = retries;
    }

    /** RSA-OAEP-256 wrap in Key Vault; the caller wipes {@code clear}. */
    byte[] wrap(KeyRef key, byte[] clear, CallContext call) {
        return retries.run(Operation.WRAP_KEY, "key " + key, call, timeout ->
                client(key).wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, clear).timeout(timeout).block().getEncryptedKey());
    }

    /** RSA-OAEP-256 unwrap in Key Vault; the caller wipes the result. */
    byte[] unwrap(KeyRef key, byte[] wrapped, CallContext call) {
        return retries.run(Operation.UNWRAP_KEY, "key " + key, call, timeout ->
                client(key).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).timeout(timeout).block().getKey());
    }

    /** Key Vault {@code decrypt}, which only the Go plugin's ciphertexts need; the caller wipes the result. */
    byte[] decrypt(KeyRef key, EncryptionAlgorithm algorithm, byte[] encrypted, CallContext call) {
        return retries.run(Operation.DECRYPT, "key " + key, call, timeout ->
                client(key).decrypt(algorithm, encrypted).timeout(timeout).block().getPlainText());
    }

    private CryptographyAsyncClient client(KeyRef key) {
        return clients.computeIfAbsent(key.version(), version -> connection.crypto(key));
    }
}
