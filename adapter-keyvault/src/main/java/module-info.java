/** The Azure Key Vault and Managed HSM key-encryption-key backend. Exports nothing. */
module dev.kmsplugin.adapter.keyvault {
    // depends on
    requires dev.kmsplugin.ports;
    requires com.azure.security.keyvault.keys; // KeyClient, CryptographyClient
    requires com.azure.identity;               // the credential kinds operators choose from
    requires com.azure.core.http.jdk.httpclient; // java.net.http under the SDK instead of Netty
    requires java.net.http;                     // configures that client (HTTP/1.1, timeouts)
    requires com.azure.json;                    // reads azure.json (the Go plugin's config file)
    requires reactor.core;                      // per-attempt timeouts on the SDK's async clients

    // provides
    provides dev.kmsplugin.ports.spi.BackendProvider with dev.kmsplugin.adapter.keyvault.KeyVaultBackendProvider;
}
