package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;

/** Makes the Azure Key Vault / Managed HSM backend. (Placeholder until the backend lands.) */
public final class KeyVaultBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "keyvault";
    }

    @Override
    public String summary() {
        return "Azure Key Vault or Managed HSM (RSA-OAEP-256 wrap/unwrap)";
    }

    @Override
    public KeyEncryptionKeys create(PluginContext context) {
        throw new KmsException.Misconfigured("the Key Vault backend is not built yet");
    }
}
