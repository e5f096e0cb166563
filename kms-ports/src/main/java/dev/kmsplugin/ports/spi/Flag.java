package dev.kmsplugin.ports.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A command-line flag and the configuration path it sets. Providers declare their flags so that the launcher
 * accepts them (with one or two leading dashes, {@code --name=value} or {@code --name value}) and lists them in
 * {@code --help}, without the launcher knowing any adapter.
 *
 * @param name flag name without dashes, e.g. {@code keyvault-name}
 * @param path absolute configuration path, e.g. {@code kms.keyvault.vault-name}
 * @param kind how the value is parsed
 * @param help one line for {@code --help}
 */
public record Flag(String name, String path, Kind kind, String help) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*|v");

    public enum Kind {
        STRING,
        /** Present alone means true; {@code --flag=false} is accepted. */
        BOOLEAN,
        INT,
        /** Go-style ({@code 20s}, {@code 1m30s}) or HOCON-style ({@code 20 seconds}) durations. */
        DURATION
    }

    public Flag {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(help, "help");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad flag name: " + name);
        }
    }

    public static Flag string(String name, String path, String help) {
        return new Flag(name, path, Kind.STRING, help);
    }

    public static Flag bool(String name, String path, String help) {
        return new Flag(name, path, Kind.BOOLEAN, help);
    }

    public static Flag integer(String name, String path, String help) {
        return new Flag(name, path, Kind.INT, help);
    }

    public static Flag duration(String name, String path, String help) {
        return new Flag(name, path, Kind.DURATION, help);
    }

    /**
     * The flag among {@code flags} that sets {@code path}, as an operator types it ({@code --keyvault-name}): the one
     * way a message names a flag, so a renamed flag cannot leave a message naming the old one.
     *
     * @throws IllegalStateException when none of {@code flags} sets the path
     */
    public static String spelled(java.util.List<Flag> flags, String path) {
        return flags.stream().filter(flag -> flag.path().equals(path)).findFirst().map(flag -> "--" + flag.name())
                .orElseThrow(() -> new IllegalStateException("no declared flag sets " + path));
    }
}
