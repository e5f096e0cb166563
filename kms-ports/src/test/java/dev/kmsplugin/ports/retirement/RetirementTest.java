package dev.kmsplugin.ports.retirement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.KeyInventory.KnownVersion;
import dev.kmsplugin.ports.outbound.KeyInventory.State;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The retirement procedure's checks, in order, with an injected clock and a stored-data double. */
class RetirementTest {

    private static final Instant SECOND_CREATED = Instant.parse("2026-12-04T10:00:00Z");
    private static final Duration REFRESH = Duration.ofSeconds(30);

    record Inventory(String describe, List<KnownVersion> versions) implements KeyInventory {
    }

    /** Records what the backend was asked to do. */
    static final class RecordingSwitch implements Retirement.Switch {
        final List<String> calls = new ArrayList<>();

        @Override
        public void retire(KnownVersion version) {
            calls.add("retire " + version.ref().version());
        }

        @Override
        public void restore(KnownVersion version) {
            calls.add("restore " + version.ref().version());
        }

        @Override
        public String restoreCommand(KnownVersion version) {
            return "kms-plugin test restore " + version.ref().version();
        }

        @Override
        public String describeRetire() {
            return "flip it off";
        }
    }

    private final RecordingSwitch backend = new RecordingSwitch();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    private int audits;

    private static KnownVersion version(String number, State state, Instant since) {
        return new KnownVersion(new KeyRef("kek", number), KeyId.sha256Hex("v" + number), state,
                Optional.ofNullable(since));
    }

    private static KeyInventory inventory(State first, Instant secondSince) {
        return new Inventory("test key", List.of(
                version("1", first, SECOND_CREATED.minus(Duration.ofDays(30))),
                version("2", State.CURRENT, secondSince)));
    }

    private StoredData nothingStored() {
        return (inventory, version) -> {
            audits++;
            return new StoredData.Dependence("etcd at revision 7", 0, 0, List.of());
        };
    }

    private int retire(KeyInventory inventory, Duration sinceSecond, boolean dryRun, StoredData data) {
        Clock clock = Clock.fixed(SECOND_CREATED.plus(sinceSecond), ZoneOffset.UTC);
        return Retirement.retire(new Retirement.Request("1", Optional.empty(), REFRESH, dryRun), inventory, backend,
                () -> data, clock, out).code();
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void the_default_minimum_successor_age_is_refresh_plus_three_minutes_plus_one_status_poll() {
        assertEquals(Duration.ofSeconds(270), Retirement.defaultMinSuccessorAge(Duration.ofSeconds(30)));
        assertEquals("4m30s", Retirement.format(Retirement.defaultMinSuccessorAge(Duration.ofSeconds(30))));
        assertEquals("9m", Retirement.format(Retirement.defaultMinSuccessorAge(Duration.ofMinutes(5))));
    }

    @Test
    void a_version_whose_successor_is_old_enough_and_that_nothing_needs_is_retired() {
        assertEquals(0, retire(inventory(State.ENABLED, SECOND_CREATED), Duration.ofSeconds(270), false,
                nothingStored()));
        assertEquals(List.of("retire 1"), backend.calls);
        assertEquals(1, audits);
        assertTrue(printed().contains("minimum successor age: 4m30s (refresh interval 30s + 3m + one Status poll"
                + " 1m; --min-successor-age overrides it)"), printed());
        assertTrue(printed().contains("Undo with: kms-plugin test restore 1"), printed());
    }

    @Test
    void the_current_version_is_always_refused() {
        KeyInventory inventory = inventory(State.ENABLED, SECOND_CREATED);
        Clock clock = Clock.fixed(SECOND_CREATED.plus(Duration.ofDays(400)), ZoneOffset.UTC);
        int code = Retirement.retire(new Retirement.Request("2", Optional.of(Duration.ZERO), REFRESH, false),
                inventory, backend, this::nothingStored, clock, out).code();
        assertEquals(ExitCode.REFUSED.code(), code);
        assertTrue(printed().contains("refused: kek/2 is the current version"), printed());
        assertEquals(List.of(), backend.calls);
        assertEquals(0, audits, "no need to read storage to refuse the current version");
    }

    @Test
    void a_young_successor_is_refused_until_the_minimum_age_has_passed() {
        assertEquals(ExitCode.REFUSED.code(), retire(inventory(State.ENABLED, SECOND_CREATED), Duration.ofSeconds(269),
                false, nothingStored()));
        assertTrue(printed().contains("refused: kek/2 became current at 2026-12-04T10:00:00Z, 4m29s ago; a node or an"
                + " apiserver may still write with kek/1 until 2026-12-04T10:04:30Z"), printed());
        assertEquals(List.of(), backend.calls);
        assertEquals(0, audits);
    }

    @Test
    void an_explicit_zero_minimum_allows_a_fresh_successor() {
        Clock clock = Clock.fixed(SECOND_CREATED, ZoneOffset.UTC);
        int code = Retirement.retire(new Retirement.Request("1", Optional.of(Duration.ZERO), REFRESH, false),
                inventory(State.ENABLED, SECOND_CREATED), backend, this::nothingStored, clock, out).code();
        assertEquals(0, code, printed());
        assertTrue(printed().contains("minimum successor age: 0s (--min-successor-age)"), printed());
    }

    @Test
    void a_successor_of_unknown_age_is_refused() {
        assertEquals(ExitCode.REFUSED.code(), retire(inventory(State.ENABLED, null), Duration.ofDays(1), false,
                nothingStored()));
        assertTrue(printed().contains("does not say since when kek/2 has been current"), printed());
    }

    @Test
    void stored_data_that_needs_the_version_or_cannot_be_attributed_refuses_it() {
        StoredData needed = (inventory, version) -> new StoredData.Dependence("etcd at revision 9", 3, 0,
                List.of("3 values (secrets 3); first keys: /registry/secrets/a/b"));
        assertEquals(ExitCode.REFUSED.code(), retire(inventory(State.ENABLED, SECOND_CREATED), Duration.ofDays(1), false,
                needed));
        assertTrue(printed().contains("refused: stored data still depends on key version kek/1 (etcd at revision 9):\n"
                + "  3 values (secrets 3); first keys: /registry/secrets/a/b"), printed());
        StoredData unattributed = (inventory, version) -> new StoredData.Dependence("etcd", 0, 2, List.of("2 v1"));
        assertEquals(ExitCode.REFUSED.code(), retire(inventory(State.ENABLED, SECOND_CREATED), Duration.ofDays(1), false,
                unattributed));
        assertEquals(List.of(), backend.calls);
    }

    @Test
    void a_dry_run_checks_everything_and_changes_nothing() {
        assertEquals(0, retire(inventory(State.ENABLED, SECOND_CREATED), Duration.ofDays(1), true, nothingStored()));
        assertEquals(List.of(), backend.calls);
        assertEquals(1, audits);
        assertTrue(printed().contains("dry run: would retire kek/1: flip it off; nothing changed"), printed());
    }

    @Test
    void retiring_twice_and_restoring_are_idempotent() {
        assertEquals(0, retire(inventory(State.RETIRED, SECOND_CREATED), Duration.ofDays(1), false, nothingStored()));
        assertTrue(printed().contains("kek/1 is already retired; nothing changed"), printed());
        assertEquals(0, Retirement.restore("1", inventory(State.RETIRED, SECOND_CREATED), backend, false, out).code());
        assertEquals(0, Retirement.restore("1", inventory(State.ENABLED, SECOND_CREATED), backend, false, out).code());
        assertEquals(0, Retirement.restore("1", inventory(State.DISABLED, SECOND_CREATED), backend, true, out).code());
        assertEquals(List.of("restore 1"), backend.calls);
    }

    @Test
    void a_version_the_backend_lacks_is_a_usage_error_listing_the_versions() {
        KmsException e = assertThrows(KmsException.Misconfigured.class, () -> Retirement.retire(
                new Retirement.Request("7", Optional.empty(), REFRESH, false), inventory(State.ENABLED,
                        SECOND_CREATED), backend, this::nothingStored, Clock.systemUTC(), out));
        assertTrue(e.getMessage().contains("no version '7'") && e.getMessage().contains("1 (enabled), 2 (current)"),
                e.getMessage());
    }
}
