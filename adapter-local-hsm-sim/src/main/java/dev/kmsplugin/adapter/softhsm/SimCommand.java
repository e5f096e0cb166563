package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Command;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * {@code kms-plugin sim init|rotate|list|check --sim-dir=DIR}: administer the simulator's token. {@code create-key}
 * and {@code rotate-key} are accepted as the Key Vault command spells them, so both backends read alike.
 */
final class SimCommand implements Command {

    private static final String USAGE = "usage: kms-plugin sim init|rotate|list|check --sim-dir=DIR"
            + " [--sim-key-name=NAME]   (create-key = init, rotate-key = rotate)";
    private static final Map<String, String> ALIASES = Map.of("create-key", "init", "rotate-key", "rotate");

    private final Map<String, String> env;

    SimCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public String summary() {
        return "init, rotate, list or check the simulator's key versions (--sim-dir=DIR)";
    }

    @Override
    public int run(Invocation invocation) {
        List<String> words = invocation.arguments();
        String verb = words.size() == 1 ? ALIASES.getOrDefault(words.get(0), words.get(0)) : "";
        if (!List.of("init", "rotate", "list", "check").contains(verb)) {
            invocation.err().println(USAGE);
            return 2;
        }
        SimSettings settings = SimSettings.from(invocation.settings());
        Clock clock = Clock.systemUTC();
        SimulatorToken opened = verb.equals("init")
                ? SimulatorToken.openOrCreate(settings, env, clock)
                : SimulatorToken.openExisting(settings, env, clock);
        try (SoftHsmToken token = opened.token()) {
            PrintStream out = invocation.out();
            switch (verb) {
                case "init" -> out.println(opened.created()
                        ? "initialised token '" + settings.tokenLabel() + "' in " + settings.directory()
                        + " with key '" + settings.keyName() + "' version 1"
                        : "token '" + settings.tokenLabel() + "' already exists in " + settings.directory()
                        + "; nothing changed");
                case "rotate" -> {
                    VersionLabel next;
                    try (SimDirectory.AdminLock lock = new SimDirectory(settings, env).lock()) {
                        next = token.generate(settings.keyName(), clock.instant());
                    }
                    out.println("key '" + settings.keyName() + "' version " + next.number() + " is now current");
                    out.println("key_id " + next.keyId());
                    out.println("a running plugin uses it within " + settings.refreshInterval().toSeconds()
                            + " s (--sim-refresh-interval) or at once after a restart; earlier versions stay"
                            + " usable for decryption");
                }
                case "check" -> {
                    return check(settings, token, clock, invocation);
                }
                default -> list(settings, token, out);
            }
            return 0;
        }
    }

    /** The serving path without serving: load the versions, then a real wrap and unwrap in the token. */
    private static int check(SimSettings settings, SoftHsmToken token, Clock clock, Invocation invocation) {
        SoftHsmKekBackend backend = new SoftHsmKekBackend(settings, token, Telemetry.none(), clock);
        try {
            backend.start();
            Health health = backend.health();
            if (!health.serving()) {
                invocation.err().println("check failed: " + health.detail());
                return 1;
            }
            invocation.out().println("ok: token '" + settings.tokenLabel() + "', key '" + settings.keyName()
                    + "' version " + backend.current().ref().version() + " (key_id " + backend.current().keyId()
                    + "); a wrap and unwrap round trip in the token succeeded");
            return 0;
        } finally {
            backend.close();
        }
    }

    private static void list(SimSettings settings, SoftHsmToken token, PrintStream out) {
        List<VersionLabel> versions = token.versions(settings.keyName());
        out.println("token '" + settings.tokenLabel() + "' in " + settings.directory() + ", key '"
                + settings.keyName() + "'");
        out.printf("%-8s %-8s %-21s %s%n", "VERSION", "CURRENT", "CREATED", "KEY_ID");
        for (int i = 0; i < versions.size(); i++) {
            VersionLabel version = versions.get(i);
            out.printf("%-8d %-8s %-21s %s%n", version.number(), i == versions.size() - 1 ? "*" : "",
                    version.created(), version.keyId());
        }
    }
}
