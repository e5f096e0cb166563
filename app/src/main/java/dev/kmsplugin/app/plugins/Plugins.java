package dev.kmsplugin.app.plugins;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.CommandProvider;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Plugin;
import dev.kmsplugin.ports.spi.StoredDataProvider;
import dev.kmsplugin.ports.spi.TransportProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The transports, backends and command-only plugins present at run time, found with {@link ServiceLoader} (module
 * {@code provides} on the module path, {@code META-INF/services} on the class path). Providers are cheap to
 * instantiate; nothing is built until one is selected by name.
 */
public final class Plugins {

    private final List<BackendProvider> backends;
    private final List<TransportProvider> transports;
    private final List<CommandProvider> tools;

    public Plugins(List<BackendProvider> backends, List<TransportProvider> transports) {
        this(backends, transports, List.of());
    }

    public Plugins(List<BackendProvider> backends, List<TransportProvider> transports, List<CommandProvider> tools) {
        this.backends = sorted(backends, BackendProvider::name);
        this.transports = sorted(transports, TransportProvider::name);
        this.tools = sorted(tools, CommandProvider::name);
    }

    public static Plugins discover() {
        return new Plugins(load(BackendProvider.class), load(TransportProvider.class), load(CommandProvider.class));
    }

    public List<BackendProvider> backends() {
        return backends;
    }

    public BackendProvider backend(String name) {
        return select("backend", name, backends, BackendProvider::name);
    }

    public TransportProvider transport(String name) {
        return select("transport", name, transports, TransportProvider::name);
    }

    /** A command together with the namespace of the provider that owns it. */
    public record OwnedCommand(String namespace, Command command) {
    }

    public List<OwnedCommand> commands() {
        List<OwnedCommand> commands = new ArrayList<>();
        all().forEach(plugin -> plugin.commands().forEach(c -> commands.add(
                new OwnedCommand(namespace(plugin.name()), c))));
        return commands;
    }

    /** Every plugin: transports, backends, then command-only plugins, each group by name. */
    private List<Plugin> all() {
        List<Plugin> all = new ArrayList<>(transports);
        all.addAll(backends);
        all.addAll(tools);
        return all;
    }

    public Optional<OwnedCommand> command(String name) {
        return commands().stream().filter(owned -> owned.command().name().equals(name)).findFirst();
    }

    public List<Flag> flags() {
        List<Flag> flags = new ArrayList<>();
        all().forEach(plugin -> flags.addAll(plugin.flags()));
        return flags;
    }

    /**
     * The storage plugin, looked up only when a command asks for stored data (never while serving): exactly one
     * must be installed.
     */
    public static StoredDataProvider storedDataProvider() {
        List<StoredDataProvider> found = load(StoredDataProvider.class);
        if (found.isEmpty()) {
            throw new KmsException.Misconfigured("no storage plugin is installed (the adapter-etcd module is missing"
                    + " from the installation): nothing can prove that stored data no longer needs a key version");
        }
        if (found.size() > 1) {
            throw new KmsException.Misconfigured("several storage plugins are installed (" + found.stream()
                    .map(p -> p.getClass().getName()).collect(Collectors.joining(", "))
                    + "); remove all but one from the installation");
        }
        return found.get(0);
    }

    /** Settings namespace of a provider: {@code kms.<name>}. */
    public static String namespace(String providerName) {
        return "kms." + providerName;
    }

    private static <T> List<T> load(Class<T> type) {
        return ServiceLoader.load(type, Plugins.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .collect(Collectors.toList());
    }

    private static <T> List<T> sorted(List<T> providers, Function<T, String> name) {
        List<T> copy = new ArrayList<>(providers);
        copy.sort(Comparator.comparing(name));
        return List.copyOf(copy);
    }

    private static <T> T select(String kind, String name, List<T> providers, Function<T, String> nameOf) {
        List<T> matches = providers.stream().filter(p -> nameOf.apply(p).equals(name)).collect(Collectors.toList());
        if (matches.size() == 1) {
            return matches.get(0);
        }
        String available = providers.stream().map(nameOf).distinct().collect(Collectors.joining(", "));
        if (matches.isEmpty()) {
            throw new KmsException.Misconfigured("no " + kind + " named '" + name + "'; available: "
                    + (available.isEmpty() ? "none (the installation is incomplete)" : available));
        }
        String classes = matches.stream().map(p -> p.getClass().getName()).collect(Collectors.joining(", "));
        throw new KmsException.Misconfigured("several " + kind + "s are named '" + name + "' (" + classes
                + "); remove the duplicate module from the installation");
    }
}
