package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;

/** Makes the SoftHSM2 simulator backend. (Placeholder until the backend lands.) */
public final class SoftHsmBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "hsm-sim";
    }

    @Override
    public String summary() {
        return "local SoftHSM2 token over PKCS#11 (AES-256-GCM), for development and tests";
    }

    @Override
    public KeyEncryptionKeys create(PluginContext context) {
        throw new KmsException.Misconfigured("the simulator backend is not built yet");
    }
}
