package dev.kmsplugin.ports.testkit;

import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.spi.Collaborators;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Settings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/** An operator command run in process with no input: its exit code and what it printed (UTF-8). */
public record CommandRun(int exitCode, String out, String err) {

    /**
     * Runs {@code command} (e.g. {@code new SimCommand(env)::run}) with {@code arguments}, its provider's
     * {@code settings} and {@code collaborators}.
     */
    public static CommandRun run(Function<Command.Invocation, ExitCode> command, List<String> arguments,
            Settings settings, Collaborators collaborators) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = command.apply(new Command.Invocation(arguments, settings, collaborators,
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).code();
        return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** As {@link #run(Function, List, Settings, Collaborators)} for a command that needs no other plugin. */
    public static CommandRun run(Function<Command.Invocation, ExitCode> command, List<String> arguments,
            Settings settings) {
        return run(command, arguments, settings, Collaborators.none());
    }

    /**
     * The collaborators of a backend's retire command: the stored data given; no key inventory, which the command
     * reads from its own backend.
     */
    public static Collaborators storedData(StoredData stored) {
        return new Collaborators() {
            @Override
            public KeyInventory keyInventory() {
                throw new AssertionError("the command reads its own backend's key inventory");
            }

            @Override
            public StoredData storedData() {
                return stored;
            }
        };
    }
}
