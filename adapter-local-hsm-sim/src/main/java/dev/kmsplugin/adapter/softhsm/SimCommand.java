package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.spi.Command;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** {@code kms-plugin sim init|rotate|list --sim-dir=DIR}: administer the simulator's token. */
final class SimCommand implements Command {

    private static final String USAGE = "usage: kms-plugin sim init|rotate|list --sim-dir=DIR [--sim-key-name=NAME]";

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
        return "init, rotate or list the simulator's key versions (--sim-dir=DIR)";
    }

    @Override
    public int run(Invocation invocation) {
        List<String> words = invocation.arguments();
        if (words.size() != 1 || !List.of("init", "rotate", "list").contains(words.get(0))) {
            invocation.err().println(USAGE);
            return 2;
        }
        SimSettings settings = SimSettings.from(invocation.settings());
        Clock clock = Clock.systemUTC();
        SimulatorToken opened = words.get(0).equals("init")
                ? SimulatorToken.openOrCreate(settings, env, clock)
                : SimulatorToken.openExisting(settings, env, clock);
        try (SoftHsmToken token = opened.token()) {
            PrintStream out = invocation.out();
            switch (words.get(0)) {
                case "init" -> out.println(opened.created()
                        ? "initialised token '" + settings.tokenLabel() + "' in " + settings.directory()
                        + " with key '" + settings.keyName() + "' version 1"
                        : "token '" + settings.tokenLabel() + "' already exists in " + settings.directory()
                        + "; nothing changed");
                case "rotate" -> {
                    KeyVersion next;
                    try (SimDirectory.AdminLock lock = new SimDirectory(settings, env).lock()) {
                        next = token.generate(settings.keyName(), clock.instant());
                    }
                    out.println("key '" + settings.keyName() + "' version " + next.number() + " is now current");
                    out.println("key_id " + next.keyId());
                    out.println("a running plugin uses it within " + settings.refreshInterval().toSeconds()
                            + " s (--sim-refresh-interval) or at once after a restart; earlier versions stay"
                            + " usable for decryption");
                }
                default -> list(settings, token, out);
            }
            return 0;
        }
    }

    private static void list(SimSettings settings, SoftHsmToken token, PrintStream out) {
        List<KeyVersion> versions = token.versions(settings.keyName());
        out.println("token '" + settings.tokenLabel() + "' in " + settings.directory() + ", key '"
                + settings.keyName() + "'");
        out.printf("%-8s %-8s %-21s %s%n", "VERSION", "CURRENT", "CREATED", "KEY_ID");
        for (int i = 0; i < versions.size(); i++) {
            KeyVersion version = versions.get(i);
            out.printf("%-8d %-8s %-21s %s%n", version.number(), i == versions.size() - 1 ? "*" : "",
                    version.created(), version.keyId());
        }
    }
}
