package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Synopsis;
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

    private static final List<String> TOKEN = List.of("sim-token-label", "sim-key-name", "sim-pin-file",
            "sim-library");
    private static final List<String> RETIREMENT = List.of("dry-run", "min-successor-age", "etcd-endpoints",
            "etcd-cacert", "etcd-cert", "etcd-key", "etcd-prefix");
    private static final Synopsis SYNOPSIS = new Synopsis("sim", List.of(
            new Synopsis.Form("init|rotate|list|check", List.of("sim-dir"),
                    Synopsis.names(TOKEN, List.of("allow-pins-in-argv")),
                    "create-key = init, rotate-key = rotate; init and rotate may create the token"),
            new Synopsis.Form("retire|restore VERSION", List.of("sim-dir"), Synopsis.names(TOKEN, RETIREMENT),
                    "retire-version = retire, restore-version = restore")));
    private static final Map<String, String> ALIASES = Map.of("create-key", "init", "rotate-key", "rotate",
            "retire-version", "retire", "restore-version", "restore");
    private static final List<String> VERBS = List.of("init", "rotate", "list", "check", "retire", "restore");

    private final Map<String, String> env;

    SimCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Synopsis synopsis() {
        return SYNOPSIS;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public String summary() {
        return "init, rotate, list, check, retire or restore the simulator's key versions ("
                + SimSettings.flag("dir") + "=DIR)";
    }

    @Override
    public ExitCode run(Invocation invocation) {
        List<String> words = invocation.arguments();
        String verb = words.isEmpty() ? "" : ALIASES.getOrDefault(words.get(0), words.get(0));
        int expected = verb.equals("retire") || verb.equals("restore") ? 2 : 1;
        if (!VERBS.contains(verb) || words.size() != expected) {
            invocation.err().println(SYNOPSIS.brief());
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
                            + " s (" + SimSettings.flag("refresh-interval")
                            + ") or at once after a restart; earlier versions stay"
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
