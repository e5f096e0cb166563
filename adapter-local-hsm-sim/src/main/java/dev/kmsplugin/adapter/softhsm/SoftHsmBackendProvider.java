package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.PluginContext;
import java.util.List;

/** Makes the SoftHSM2 simulator backend ({@code --backend=hsm-sim}) and its {@code sim} command. */
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
    public List<Flag> flags() {
        return SimSettings.flags();
    }

    @Override
    public List<Command> commands() {
        return List.of(new SimCommand(System.getenv()));
    }

    @Override
    public KeyInventory keyInventory(PluginContext context) {
        return SimInventory.read(SimSettings.from(context.settings()), System.getenv(), context.clock());
    }

    @Override
    public void validate(PluginContext context) {
        SimSettings.from(context.settings());
    }

    @Override
    public Backend create(PluginContext context) {
        SimSettings settings = SimSettings.from(context.settings());
        SimulatorToken opened = SimulatorToken.openOrCreate(settings, System.getenv(), context.clock());
        SoftHsmKekBackend backend = new SoftHsmKekBackend(settings, opened.token(), context.telemetry(),
                context.clock());
        try {
            backend.start();
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        return Backend.of(backend);
    }
}
