package dev.kmsplugin.ports.retirement;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.KeyInventory.KnownVersion;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The one procedure every backend follows before it makes a key version unusable, and to undo it. A version is
 * retired only when all of these hold, checked in this order:
 * <ol>
 *   <li>it is not the current version;</li>
 *   <li>its successor (the next version) has been current for at least the minimum successor age: every
 *       plugin's refresh interval, plus the three minutes kube-apiserver advises waiting after a key_id change,
 *       plus one Status poll (60 s), so that no node and no apiserver still writes with it;</li>
 *   <li>the stored data neither needs it nor holds values whose version cannot be told.</li>
 * </ol>
 * The backend does the reversible switch-off itself ({@link Switch}); this class decides whether it may, prints
 * what it did and how to undo it. Refusals exit {@link ExitCode#REFUSED}.
 */
public final class Retirement {

    /** Exit code of every refusal: "refused: stored data still depends on this key version" and its siblings. */
    /** kube-apiserver's advice: wait at least this long after a key_id change before migrating storage. */
    public static final Duration APISERVER_WAIT = Duration.ofMinutes(3);
    /** How often a healthy kube-apiserver calls v2 Status, and so notices a new key_id. */
    public static final Duration STATUS_POLL = Duration.ofSeconds(60);

    private Retirement() {
    }

    /** What a backend does to a version: reversible, never a deletion. */
    public interface Switch {

        /** Makes {@code version} unusable for unwrapping, keeping it (and its key_id) for a later restore. */
        void retire(KnownVersion version);

        /** Makes a retired {@code version} usable again. */
        void restore(KnownVersion version);

        /** The command line that undoes a retirement of {@code version}, e.g. {@code kms-plugin sim restore 1 ...}. */
        String restoreCommand(KnownVersion version);

        /** What retiring does in this backend, for the dry run, e.g. "set enabled=false on the version". */
        String describeRetire();
    }

    /**
     * @param version         the version to retire, as the backend names it ({@code 1}, or 32 hex digits)
     * @param minSuccessorAge the operator's {@code --min-successor-age}, or empty for the default
     * @param refreshInterval how often serving plugins look for a new current version
     * @param dryRun          check and print, change nothing
     */
    public record Request(String version, Optional<Duration> minSuccessorAge, Duration refreshInterval,
                          boolean dryRun) {
        public Request {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(minSuccessorAge, "minSuccessorAge");
            Objects.requireNonNull(refreshInterval, "refreshInterval");
        }

        /** The minimum successor age in force: the operator's, or refresh interval + 3 min + one Status poll. */
        public Duration effectiveMinSuccessorAge() {
            return minSuccessorAge.orElse(defaultMinSuccessorAge(refreshInterval));
        }
    }

    public static Duration defaultMinSuccessorAge(Duration refreshInterval) {
        return refreshInterval.plus(APISERVER_WAIT).plus(STATUS_POLL);
    }

    /**
     * Checks, then retires (unless a dry run). Returns the exit code: 0 done or already retired, {@link ExitCode#REFUSED}
     * refused. A version the backend does not hold is a {@link KmsException.Misconfigured} (exit 2).
     */
    public static ExitCode retire(Request request, KeyInventory inventory, Switch backend, Supplier<StoredData> storedData,
                             Clock clock, PrintStream out) {
        KnownVersion version = find(inventory, request.version());
        String name = version.ref().toString();
        if (version.state() == KeyInventory.State.CURRENT) {
            out.println("refused: " + name + " is the current version: new data is wrapped with it. Rotate first,"
                    + " rewrite the data, then retire it.");
            return ExitCode.REFUSED;
        }
        if (!version.state().unwraps()) {
            out.println(name + " is already " + version.state().label() + "; nothing changed. Undo with: "
                    + backend.restoreCommand(version));
            return ExitCode.OK;
        }
        Duration minimum = request.effectiveMinSuccessorAge();
        out.println("minimum successor age: " + format(minimum) + (request.minSuccessorAge().isPresent()
                ? " (--min-successor-age)"
                : " (refresh interval " + format(request.refreshInterval()) + " + " + format(APISERVER_WAIT)
                        + " + one Status poll " + format(STATUS_POLL) + "; --min-successor-age overrides it)"));
        KnownVersion successor = successor(inventory, version);
        if (successor.currentSince().isEmpty()) {
            out.println("refused: the backend does not say since when " + successor.ref() + " has been current;"
                    + " give --min-successor-age once every node has used it for long enough");
            return ExitCode.REFUSED;
        }
        Instant since = successor.currentSince().get();
        Duration age = Duration.between(since, clock.instant());
        if (age.compareTo(minimum) < 0) {
            out.println("refused: " + successor.ref() + " became current at " + since + ", " + format(age.isNegative()
                    ? Duration.ZERO : age) + " ago; a node or an apiserver may still write with " + name + " until "
                    + since.plus(minimum) + ". Try again then.");
            return ExitCode.REFUSED;
        }
        StoredData.Dependence dependence = storedData.get().dependenceOn(inventory, version.ref());
        if (!dependence.none()) {
            out.println("refused: stored data still depends on key version " + name + " (" + dependence.source()
                    + "):");
            dependence.details().forEach(line -> out.println("  " + line));
            out.println("rewrite these objects (docs/operations.md, \"Finishing a key rotation\") and try again");
            return ExitCode.REFUSED;
        }
        out.println("nothing stored needs " + name + " (" + dependence.source() + "); " + successor.ref()
                + " has been current since " + since);
        if (request.dryRun()) {
            out.println("dry run: would retire " + name + ": " + backend.describeRetire() + "; nothing changed");
            return ExitCode.OK;
        }
        backend.retire(version);
        out.println("retired " + name + " (key_id " + version.keyId() + "): a Decrypt that needs it now fails with"
                + " FAILED_PRECONDITION. Undo with: " + backend.restoreCommand(version));
        return ExitCode.OK;
    }

    /** Undoes {@link #retire}; a version that unwraps already is left alone. Returns the exit code (0). */
    public static ExitCode restore(String versionName, KeyInventory inventory, Switch backend, boolean dryRun,
                              PrintStream out) {
        KnownVersion version = find(inventory, versionName);
        if (version.state().unwraps()) {
            out.println(version.ref() + " is " + version.state().label() + "; nothing to restore");
            return ExitCode.OK;
        }
        if (dryRun) {
            out.println("dry run: would restore " + version.ref() + "; nothing changed");
            return ExitCode.OK;
        }
        backend.restore(version);
        out.println("restored " + version.ref() + " (key_id " + version.keyId() + "): it unwraps again");
        return ExitCode.OK;
    }

    private static KnownVersion find(KeyInventory inventory, String version) {
        return inventory.versions().stream()
                .filter(v -> v.ref().version().equals(version))
                .findFirst()
                .orElseThrow(() -> new KmsException.Misconfigured("the backend has no version '" + version + "' ("
                        + inventory.describe() + "); its versions, oldest first: " + inventory.versions().stream()
                        .map(v -> v.ref().version() + " (" + v.state().label() + ")")
                        .collect(Collectors.joining(", "))));
    }

    /** The version that followed {@code version}: the next one in the backend's oldest-first list. */
    private static KnownVersion successor(KeyInventory inventory, KnownVersion version) {
        List<KnownVersion> versions = inventory.versions();
        int at = versions.indexOf(version);
        if (at < 0 || at + 1 >= versions.size()) {
            throw new IllegalStateException(version.ref() + " is not current but has no successor");
        }
        return versions.get(at + 1);
    }

    /** A duration the way the flags take it: {@code 4m30s}, {@code 9m}, {@code 30s}. */
    public static String format(Duration duration) {
        long seconds = duration.toSeconds();
        StringBuilder text = new StringBuilder();
        if (seconds >= 3600) {
            text.append(seconds / 3600).append('h');
            seconds %= 3600;
        }
        if (seconds >= 60) {
            text.append(seconds / 60).append('m');
            seconds %= 60;
        }
        if (seconds > 0 || text.length() == 0) {
            text.append(seconds).append('s');
        }
        return text.toString().toLowerCase(Locale.ROOT);
    }
}
