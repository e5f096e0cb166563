/** The Azure Key Vault and Managed HSM key-encryption-key backend. Exports nothing. */
module dev.kmsplugin.adapter.keyvault {
    // depends on
    requires dev.kmsplugin.ports;

    // provides
    provides dev.kmsplugin.ports.spi.BackendProvider with dev.kmsplugin.adapter.keyvault.KeyVaultBackendProvider;
}
