package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.PluginContext;
import java.util.List;

/** Makes the SoftHSM2 simulator backend ({@code --backend=hsm-sim}) and contributes the {@code sim} command. */
public final class SoftHsmBackendProvider implements BackendProvider {

    static final String NAME = "hsm-sim";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "local SoftHSM2 token over PKCS#11 (AES-256-GCM), for development and tests";
    }

    @Override
    public List<Flag> flags() {
        return List.of(
                Flag.string("sim-dir", "kms.hsm-sim.sim-dir",
                        "hsm-sim: simulator directory (token, softhsm2.conf, PIN); created when missing"),
                Flag.string("sim-pin-file", "kms.hsm-sim.pin-file",
                        "hsm-sim: file holding the token's user PIN (default: $KMS_HSM_SIM_PIN, then <sim-dir>/user.pin)"),
                Flag.string("sim-key-name", "kms.hsm-sim.key-name", "hsm-sim: key name (default kms-plugin-kek)"),
                Flag.string("sim-token-label", "kms.hsm-sim.token-label", "hsm-sim: token label (default kms-plugin)"),
                Flag.string("sim-library", "kms.hsm-sim.library",
                        "hsm-sim: path of libsofthsm2.so (default: the usual install locations)"),
                Flag.duration("sim-refresh-interval", "kms.hsm-sim.refresh-interval",
                        "hsm-sim: how often a server picks up rotated key versions (default 30s, at most 60s)"));
    }

    @Override
    public List<Command> commands() {
        return List.of(new SimCommand(System.getenv(), java.time.Clock.systemUTC()));
    }

    @Override
    public KeyEncryptionKeys create(PluginContext context) {
        return SoftHsmKekBackend.start(SimSettings.from(context.settings()), System.getenv(), context.telemetry(),
                context.clock());
    }
}
