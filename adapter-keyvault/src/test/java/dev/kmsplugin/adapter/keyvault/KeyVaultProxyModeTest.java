package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --proxy-mode: every request leaves as plain HTTP to the proxy, Key Vault ones under /<vault host>/ with
 * {@code x-azure-proxy-target: KeyVault}, Entra ID ones with {@code AzureActiveDirectory}; the key_id and token
 * audience stay those of the real vault.
 */
class KeyVaultProxyModeTest {

    @TempDir
    Path dir;

    @Test
    void key_vault_and_entra_id_requests_go_through_the_proxy_with_their_target_headers() throws Exception {
        try (Fixture fixture = Fixture.create(dir)) {
            TestKeyVault vault = fixture.vault;
            vault.createVersion("kek", 2048);
            int port = vault.startProxy();
            fixture.set("endpoint", "").set("authority-host", "").set("proxy-mode", true)
                    .set("proxy-address", "127.0.0.1").set("proxy-port", port);
            try (var backend = fixture.open()) {
                CallContext call = CallContext.of("p", Duration.ofSeconds(3));
                byte[] wrapped = backend.wrap(backend.current(), new Plaintext(new byte[32]), new byte[0], call);
                assertArrayEquals(new byte[32], backend.unwrap(new SealedDataKey(Algorithm.RSA_OAEP_256,
                        backend.current().ref(), wrapped), call).bytes());
            }
            List<TestKeyVault.Request> keyVault = vault.requests.stream()
                    .filter(r -> List.of("versions", "get", "wrapkey", "unwrapkey").contains(r.operation())).toList();
            assertTrue(keyVault.size() >= 4, vault.paths().toString());
            for (TestKeyVault.Request r : keyVault) {
                assertEquals("myvault.vault.azure.net", r.prefix(), r.toString());
                assertEquals("KeyVault", r.proxyTarget(), r.toString());
            }
            List<TestKeyVault.Request> tokens = vault.requests.stream()
                    .filter(r -> r.operation().equals("token")).toList();
            assertEquals(1, tokens.size(), vault.paths().toString());
            assertEquals("AzureActiveDirectory", tokens.get(0).proxyTarget());
            assertEquals("/" + TestKeyVault.TENANT + "/oauth2/v2.0/token", tokens.get(0).path());
            assertTrue(vault.tokenRequests.get(0).get("scope").contains("https://vault.azure.net/.default"));
        }
    }
}
