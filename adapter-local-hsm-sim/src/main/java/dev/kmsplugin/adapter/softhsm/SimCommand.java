package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.adapter.softhsm.Token.KeyVersion;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Command;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * {@code kms-plugin sim init|rotate|list --sim-dir=DIR}: creates the simulator's token and first key version, adds
 * a key version, or lists them. Exit codes as the launcher's: 0 done, 1 failed, 2 wrong usage or configuration.
 */
final class SimCommand implements Command {

    static final String USAGE = "usage: kms-plugin sim init|rotate|list --sim-dir=DIR [--sim-pin-file=FILE]";

    private final Map<String, String> env;
    private final Clock clock;

    SimCommand(Map<String, String> env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public String summary() {
        return "hsm-sim: 'sim init' creates the token and key version 1, 'sim rotate' adds a version, 'sim list' shows them";
    }

    @Override
    public int run(Invocation invocation) {
        PrintStream out = invocation.out();
        PrintStream err = invocation.err();
        List<String> words = invocation.arguments();
        if (words.size() != 1 || !List.of("init", "rotate", "list").contains(words.get(0))) {
            err.println("kms-plugin sim: " + (words.isEmpty() ? "missing subcommand" : "unknown subcommand " + words));
            err.println(USAGE);
            return 2;
        }
        String word = words.get(0);
        try {
            SimSettings settings = SimSettings.from(invocation.settings());
            try (Simulator simulator = Simulator.open(settings, env, word.equals("init"))) {
                switch (word) {
                    case "init" -> init(simulator, out);
                    case "rotate" -> rotate(simulator, out);
                    default -> list(simulator, simulator.versions(false, clock), out);
                }
            }
            return 0;
        } catch (KmsException e) {
            err.println("kms-plugin sim " + word + ": " + e.getMessage());
            return e instanceof KmsException.Misconfigured ? 2 : 1;
        }
    }

    private void init(Simulator simulator, PrintStream out) {
        int before = simulator.token().versions(simulator.settings().keyName()).size();
        List<KeyVersion> versions = simulator.versions(true, clock);
        SimSettings settings = simulator.settings();
        out.println((simulator.createdToken() ? "created token '" : "token '") + settings.tokenLabel() + "' in "
                + settings.simDir() + (simulator.createdToken() ? "" : " (already there)"));
        out.println(before == 0 ? "generated version 1 of key '" + settings.keyName() + "'"
                : "key '" + settings.keyName() + "' already has " + before + " version(s); nothing generated");
        list(simulator, versions, out);
        out.println("SOFTHSM2_CONF=" + simulator.directory().conf());
    }

    private void rotate(Simulator simulator, PrintStream out) {
        KeyVersion created = simulator.rotate(clock);
        SimSettings settings = simulator.settings();
        out.println("version " + created.number() + " of key '" + settings.keyName() + "' is now current (key_id "
                + Simulator.keyId(settings.keyName(), Integer.toString(created.number())) + ")");
        out.println("running servers use it within their refresh interval (kms.hsm-sim.refresh-interval, "
                + settings.refreshInterval().toSeconds() + "s here) and at once on restart; earlier versions still decrypt");
    }

    private static void list(Simulator simulator, List<KeyVersion> versions, PrintStream out) {
        SimSettings settings = simulator.settings();
        if (versions.isEmpty()) {
            out.println("key '" + settings.keyName() + "' has no version yet; run: kms-plugin sim init --sim-dir="
                    + settings.simDir());
            return;
        }
        out.printf("%-8s %-7s %-20s %s%n", "VERSION", "CURRENT", "CREATED", "KEY_ID");
        KeyVersion current = versions.get(versions.size() - 1);
        for (KeyVersion version : versions) {
            out.printf("%-8d %-7s %-20s %s%n", version.number(), version == current ? "*" : "",
                    version.created(), Simulator.keyId(settings.keyName(), Integer.toString(version.number())));
        }
    }
}
