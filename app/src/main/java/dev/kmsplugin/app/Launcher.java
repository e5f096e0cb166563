package dev.kmsplugin.app;

import dev.kmsplugin.app.ops.logging.Logging;
import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.cli.CommandLine;
import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.ops.metrics.PrometheusTelemetry;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.app.serve.Server;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.Collaborators;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.SettingsCheck;
import dev.kmsplugin.ports.spi.StoredDataProvider;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the command line and does what it asks: print usage or version, run an operator command contributed by a
 * provider, or serve (the default, so the Go plugin's flag lists keep working unchanged).
 *
 * <p>Exit codes: {@link ExitCode}, one meaning for every command.
 */
public final class Launcher {

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    public Launcher(InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.env = env;
    }

    private static ExitCode serve(Configuration configuration, Plugins plugins) throws Exception {
        SettingsCheck check = new SettingsCheck(configuration.settings("kms.metrics"), "kms.metrics", AppFlags.all());
        String metricsBackend = check.settings().string("backend");
        if (!metricsBackend.equals("prometheus") && !metricsBackend.equals("none")) {
            check.problem(check.flag("backend") + " is '" + Messages.oneLine(metricsBackend, 40)
                    + "'; expected prometheus or none");
        }
        switch (check.done(metricsBackend)) {
            case "prometheus":
                try (PrometheusTelemetry metrics = new PrometheusTelemetry(Clock.systemUTC())) {
                    return new Server(configuration, plugins, metrics, Clock.systemUTC()).run();
                }
            case "none":
                return new Server(configuration, plugins, Telemetry.none(), Clock.systemUTC()).run();
            default:
                throw new IllegalStateException("checked above: " + metricsBackend);
        }
    }

    /**
     * The ports an operator command may ask for, made only when it asks: the selected backend's key versions, and
     * what the installed storage plugin reads of the apiserver's stored data.
     */
    private static Collaborators collaborators(Configuration configuration, Plugins plugins) {
        return new Collaborators() {
            @Override
            public KeyInventory keyInventory() {
                BackendProvider backend = plugins.backend(configuration.string("kms.backend"));
                return backend.keyInventory(context(configuration, backend.name()));
            }

            @Override
            public StoredData storedData() {
                StoredDataProvider provider = Plugins.storedDataProvider();
                return provider.create(context(configuration, provider.name()));
            }
        };
    }

    private static PluginContext context(Configuration configuration, String providerName) {
        return new PluginContext(configuration.settings(Plugins.namespace(providerName)), Telemetry.none(),
                Clock.systemUTC());
    }

    /** Runs the command line; returns the process's exit status (an {@link ExitCode}'s code). */
    public int run(String[] args) {
        return exitCode(args).code();
    }

    private ExitCode exitCode(String[] args) {
        Plugins plugins;
        List<Flag> flags;
        CommandLine line;
        try {
            plugins = Plugins.discover();
            flags = new ArrayList<>(AppFlags.all());
            flags.addAll(plugins.flags());
            line = CommandLine.parse(args, flags);
        } catch (CommandLine.UsageException e) {
            err.println("kms-plugin: " + e.getMessage());
            err.println("Run 'kms-plugin --help' for usage.");
            return ExitCode.USAGE;
        }
        if (line.help()) {
            List<String> words = line.words();
            Optional<Plugins.OwnedCommand> command = words.isEmpty() ? Optional.empty()
                    : plugins.command(words.get(0));
            Map<String, String> defaults = Configuration.defaults(flags);
            out.print(command.map(owned -> Usage.command(owned.command(), words.subList(1, words.size()), flags,
                    defaults)).orElseGet(() -> Usage.text(plugins, flags, defaults)));
            return ExitCode.OK;
        }
        if (line.version()) {
            out.println(BuildInfo.load().json());
            return ExitCode.OK;
        }
        try {
            Configuration configuration = Configuration.load(line.values(), flags, env);
            Logging.configure(configuration.settings("kms.log"));
            List<String> words = line.words();
            if (words.isEmpty() || words.get(0).equals("serve")) {
                if (words.size() > 1) {
                    err.println("kms-plugin: serve takes no arguments, got " + words.subList(1, words.size()));
                    return ExitCode.USAGE;
                }
                return serve(configuration, plugins);
            }
            Optional<Plugins.OwnedCommand> command = plugins.command(words.get(0));
            if (command.isEmpty()) {
                err.println("kms-plugin: unknown command '" + words.get(0) + "'");
                err.println("Run 'kms-plugin --help' for usage.");
                return ExitCode.USAGE;
            }
            Command.Invocation invocation = new Command.Invocation(words.subList(1, words.size()),
                    configuration.settings(command.get().namespace()), collaborators(configuration, plugins), in, out,
                    err);
            return command.get().command().run(invocation);
        } catch (KmsException e) {
            err.println("kms-plugin: " + e.getMessage());
            return ExitCode.of(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.FAILED;
        } catch (Exception e) {
            err.println("kms-plugin: " + e);
            return ExitCode.FAILED;
        }
    }
}
