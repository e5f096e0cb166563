package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.adapter.etcd.client.EtcdSettings;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The storage commands' settings ({@code kms.storage}), read once and checked together. */
record StorageSettings(EtcdSettings etcd, String prefix, int pageSize, Set<String> providers, boolean json,
                       Optional<String> requireNoneUnder) {

    static StorageSettings from(Settings settings) {
        List<String> problems = new ArrayList<>();
        List<URI> endpoints = List.of();
        try {
            endpoints = EtcdSettings.parseEndpoints(settings.string("etcd.endpoints"));
        } catch (KmsException.Misconfigured e) {
            problems.add(e.getMessage());
        }
        String prefix = settings.string("etcd.prefix");
        if (!prefix.startsWith("/") || prefix.length() < 2) {
            problems.add("--etcd-prefix '" + prefix + "' must start with / and name a prefix, e.g. /registry");
        }
        int pageSize = settings.integer("etcd.page-size");
        if (pageSize < 1 || pageSize > 100_000) {
            problems.add("--etcd-page-size " + pageSize + " must be between 1 and 100000");
        }
        String output = settings.string("output");
        if (!output.equals("table") && !output.equals("json")) {
            problems.add("--output '" + output + "' must be table or json");
        }
        Optional<String> version = settings.optionalString("require-none-under").map(String::strip);
        if (version.isPresent() && !version.get().matches("[\\x21-\\x7e]{1,255}")) {
            problems.add("--require-none-under must name one key version (printable, no spaces)");
        }
        if (!problems.isEmpty()) {
            throw new KmsException.Misconfigured(String.join("; ", problems));
        }
        EtcdSettings etcd = new EtcdSettings(endpoints, path(settings, "etcd.cacert"), path(settings, "etcd.cert"),
                path(settings, "etcd.key"), settings.duration("etcd.dial-timeout"),
                settings.duration("etcd.command-timeout"));
        String slashed = prefix.endsWith("/") ? prefix : prefix + "/";
        Set<String> providers = new LinkedHashSet<>(list(settings.string("provider-names")));
        return new StorageSettings(etcd, slashed, pageSize, providers, output.equals("json"), version);
    }

    private static Optional<Path> path(Settings settings, String name) {
        return settings.optionalString(name).map(Path::of);
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.strip());
            }
        }
        return items;
    }
}
