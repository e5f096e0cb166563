package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way a plugin reads its settings: every problem is collected, each naming the flag that sets it (from the
 * plugin's declared {@link Flag}s) and its configuration path, and {@link #done} fails once with all of them, so an
 * operator fixes a configuration in one round instead of one error at a time.
 */
public final class SettingsCheck {

    private final Settings settings;
    private final String namespace;
    private final List<Flag> flags;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param namespace the provider's namespace, e.g. {@code kms.hsm-sim}
     * @param flags     the provider's flags, to name the flag of a path
     */
    public SettingsCheck(Settings settings, String namespace, List<Flag> flags) {
        this.settings = settings;
        this.namespace = namespace;
        this.flags = List.copyOf(flags);
    }

    /** The settings being read. */
    public Settings settings() {
        return settings;
    }

    /** How an operator sets {@code path} (relative to the namespace): {@code --flag (kms.ns.path)}, or the path. */
    public String name(String path) {
        String full = path(path);
        return flags.stream().anyMatch(flag -> flag.path().equals(full)) ? flag(path) + " (" + full + ")" : full;
    }

    /**
     * The flag that sets {@code path} (relative to the namespace), as an operator types it: {@code --keyvault-name}.
     *
     * @throws IllegalStateException when no declared flag sets the path, so a renamed flag cannot leave a message
     *                               naming the old one
     */
    public String flag(String path) {
        return Flag.spelled(flags, path(path));
    }

    /** The full configuration path of {@code path}: {@code kms.keyvault.vault-name}. */
    public String path(String path) {
        return namespace + "." + path;
    }

    /** Records that {@code path} is not set: {@code <full path> is not set (set it with <flag>)}. */
    public void unset(String path) {
        problems.add(path(path) + " is not set (set it with " + flag(path) + ")");
    }

    /** Records a problem; reading goes on. */
    public void problem(String text) {
        problems.add(text);
    }

    /** Records that {@code path} is wrong, naming how to set it: {@code <name> <why>}. */
    public void problem(String path, String why) {
        problems.add(name(path) + " " + why);
    }

    /**
     * The value {@code read} gives, or null after recording its {@link KmsException}'s message as a problem (a
     * parser that refuses a value says why in its own words).
     */
    public <T> T attempt(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (KmsException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    /** A duration above zero; a problem (and one second, to go on reading) otherwise. */
    public Duration positive(String path) {
        Duration value = settings.duration(path);
        if (value.isZero() || value.isNegative()) {
            problem(path, "must be positive");
            return Duration.ofSeconds(1);
        }
        return value;
    }

    /** A duration of zero or more; a problem (and zero) otherwise. */
    public Duration nonNegative(String path) {
        Duration value = settings.duration(path);
        if (value.isNegative()) {
            problem(path, "must not be negative");
            return Duration.ZERO;
        }
        return value;
    }

    /** Whether any problem was recorded so far. */
    public boolean failed() {
        return !problems.isEmpty();
    }

    /** Every problem so far, in the order found, as one line. */
    public String problems() {
        return String.join("; ", problems);
    }

    /** Returns {@code result} when nothing was wrong; otherwise fails with every problem, in the order found. */
    public <T> T done(T result) {
        if (!problems.isEmpty()) {
            throw new KmsException.Misconfigured(problems());
        }
        return result;
    }
}
