package dev.kmsplugin.ports.spi;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Objects;

/**
 * An operator command a provider adds to the launcher, e.g. {@code kms-plugin sim rotate}. The launcher parses
 * flags as for serving and hands the command its provider's settings and the remaining words.
 */
public interface Command {

    /** The first word on the command line, e.g. {@code sim}. */
    String name();

    /** One line for {@code --help}. */
    String summary();

    /**
     * Its forms and the flags each reads; {@code kms-plugin NAME [WORD] --help} renders the usage lines and the flag
     * list from it, and the command prints {@link Synopsis#brief()} on a wrong word.
     */
    Synopsis synopsis();

    /** Runs the command; the result is the process's exit code. A {@code KmsException} thrown ends it as {@link ExitCode#of}. */
    ExitCode run(Invocation invocation) throws Exception;

    /**
     * @param arguments     the words after the command name, flags removed
     * @param settings      the owning provider's settings
     * @param collaborators ports of other plugins, wired by the composition root
     */
    record Invocation(List<String> arguments, Settings settings, Collaborators collaborators, InputStream in,
                      PrintStream out, PrintStream err) {
        public Invocation {
            arguments = List.copyOf(arguments);
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(collaborators, "collaborators");
        }

        /** An invocation that needs no other plugin. */
        public Invocation(List<String> arguments, Settings settings, InputStream in, PrintStream out,
                          PrintStream err) {
            this(arguments, settings, Collaborators.none(), in, out, err);
        }
    }
}
