package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * {@code kms-plugin sim init|rotate|list|check|retire|restore --sim-dir=DIR}: administer the simulator's token.
 * {@code create-key}, {@code rotate-key}, {@code retire-version} and {@code restore-version} are accepted as the Key
 * Vault command spells them, so both backends read alike.
 */
final class SimCommand implements Command {

    private static final String USAGE = "usage: kms-plugin sim init|rotate|list|check --sim-dir=DIR"
            + " [--sim-key-name=NAME]   (create-key = init, rotate-key = rotate)\n"
            + "       kms-plugin sim retire|restore VERSION --sim-dir=DIR [--dry-run] [--min-successor-age=D]"
            + " [the storage flags: --etcd-endpoints=... --etcd-cacert=... --etcd-cert=... --etcd-key=...]"
            + "   (retire-version = retire, restore-version = restore)";
    private static final Map<String, String> ALIASES = Map.of("create-key", "init", "rotate-key", "rotate",
            "retire-version", "retire", "restore-version", "restore");
    private static final List<String> VERBS = List.of("init", "rotate", "list", "check", "retire", "restore");

    private final Map<String, String> env;

    SimCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public List<String> flagNames(List<String> arguments) {
        List<String> names = new java.util.ArrayList<>(List.of("sim-dir", "sim-token-label", "sim-key-name",
                "sim-pin-file", "sim-library"));
        String word = arguments.isEmpty() ? "" : ALIASES.getOrDefault(arguments.get(0), arguments.get(0));
        if (!word.equals("list") && !word.equals("check") && !word.equals("retire") && !word.equals("restore")) {
            names.add("allow-pins-in-argv");
        }
        if (!word.equals("init") && !word.equals("rotate") && !word.equals("list") && !word.equals("check")) {
            names.addAll(List.of("dry-run", "min-successor-age", "etcd-endpoints", "etcd-cacert", "etcd-cert",
                    "etcd-key", "etcd-prefix"));
        }
        return names;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public String summary() {
        return "init, rotate, list, check, retire or restore the simulator's key versions (--sim-dir=DIR)";
    }

    @Override
    public ExitCode run(Invocation invocation) {
        List<String> words = invocation.arguments();
        String verb = words.isEmpty() ? "" : ALIASES.getOrDefault(words.get(0), words.get(0));
        int expected = verb.equals("retire") || verb.equals("restore") ? 2 : 1;
        if (!VERBS.contains(verb) || words.size() != expected) {
            invocation.err().println(USAGE);
            return ExitCode.USAGE;
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
                case "retire", "restore" -> {
                    try (SimDirectory.AdminLock lock = new SimDirectory(settings, env).lock()) {
                        return SimRetirement.run(verb.equals("retire"), words.get(1), settings, token, invocation,
                                clock);
                    }
                }
                default -> list(settings, token, out);
            }
            return ExitCode.OK;
        }
    }

    /** The serving path without serving: load the versions, then a real wrap and unwrap in the token. */
    private static ExitCode check(SimSettings settings, SoftHsmToken token, Clock clock, Invocation invocation) {
        SoftHsmKekBackend backend = new SoftHsmKekBackend(settings, token, Telemetry.none(), clock);
        try {
            backend.start();
            Health health = backend.health();
            if (!health.serving()) {
                invocation.err().println("check failed: " + health.detail());
                return ExitCode.FAILED;
            }
            invocation.out().println("ok: token '" + settings.tokenLabel() + "', key '" + settings.keyName()
                    + "' version " + backend.current().ref().version() + " (key_id " + backend.current().keyId()
                    + "); a wrap and unwrap round trip in the token succeeded");
            return ExitCode.OK;
        } finally {
            backend.close();
        }
    }

    private static void list(SimSettings settings, SoftHsmToken token, PrintStream out) {
        SimInventory inventory = SimInventory.of(settings, token.versions(settings.keyName()),
                RetiredVersions.read(settings.directory()));
        out.println("token '" + settings.tokenLabel() + "' in " + settings.directory() + ", key '"
                + settings.keyName() + "'");
        out.printf("%-8s %-8s %-21s %s%n", "VERSION", "STATE", "CREATED", "KEY_ID");
        for (KeyInventory.KnownVersion version : inventory.versions()) {
            out.printf("%-8s %-8s %-21s %s%n", version.ref().version(), version.state().label(),
                    version.currentSince().map(Object::toString).orElse("-"), version.keyId());
        }
    }
}
