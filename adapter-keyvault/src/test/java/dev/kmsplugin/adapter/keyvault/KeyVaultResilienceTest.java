package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Throttling, outages, timeouts and revoked access, injected into the test vault. */
class KeyVaultResilienceTest extends VaultTest {

    KeyVaultKekBackend backend;
    KeyVersion version;
    KeyRef key;

    @BeforeEach
    void openBackend() throws Exception {
        vault.createVersion("kek", 2048);
        // These tests inject faults into Key Vault's wrapKey: the remote wrap path (--wrap=remote).
        fixture.set("call-timeout", Duration.ofMillis(400)).set("health-grace", Duration.ofSeconds(60))
                .set("wrap", "remote");
        backend = fixture.open();
        version = backend.current();
        key = version.ref();
        // Each test counts the retries of its own calls: a slow start-up (a loaded machine) may have retried too.
        fixture.telemetry.retries.clear();
    }

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    static CallContext within(Duration timeout) {
        return CallContext.of("uid", timeout);
    }

    byte[] wrap(CallContext call) {
        return backend.wrap(version, new Plaintext(new byte[32]), new byte[0], call);
    }

    @Test
    void retries_throttling_and_server_errors_then_succeeds_and_reports_each_retry() {
        vault.failNext("wrapkey", 429, Map.of("Retry-After", "0"), 1);
        vault.failNext("wrapkey", 503, Map.of(), 1);
        long before = vault.count("wrapkey");
        byte[] wrapped = wrap(within(Duration.ofSeconds(3)));
        assertEquals(256, wrapped.length);
        assertEquals(before + 3, vault.count("wrapkey"));
        assertEquals(java.util.List.of("wrapKey:throttled", "wrapKey:server_error"), fixture.telemetry.retries);
    }

    @Test
    void honours_retry_after_from_key_vault() {
        vault.failNext("unwrapkey", 429, Map.of("Retry-After", "1"), 1);
        byte[] wrapped = wrap(within(Duration.ofSeconds(3)));
        long start = System.nanoTime();
        Plaintext back = backend.unwrap(new SealedDataKey(version.algorithm(), key, wrapped),
                within(Duration.ofSeconds(3)));
        assertArrayEquals(new byte[32], back.bytes());
        assertTrue(fixture.telemetry.retries.contains("unwrapKey:throttled"), fixture.telemetry.retries.toString());
        // A lower bound only: a loaded machine makes the wait longer, never shorter.
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 950, "waited less than Retry-After");
    }

    @Test
    void persistent_throttling_ends_in_the_throttled_error_after_the_bounded_attempts() {
        vault.failNext("wrapkey", 429, Map.of("Retry-After", "0"), 10);
        long before = vault.count("wrapkey");
        KmsException.Throttled e = assertThrows(KmsException.Throttled.class, () -> wrap(within(Duration.ofSeconds(3))));
        assertEquals(before + 4, vault.count("wrapkey"), "max-attempts is 4");
        assertTrue(e.getMessage().contains("429"), e.getMessage());
        vault.clearFaults();
    }

    @Test
    void a_retry_after_longer_than_the_callers_deadline_is_not_waited_for() {
        vault.failNext("wrapkey", 429, Map.of("Retry-After", "30"), 1);
        long before = vault.count("wrapkey");
        KmsException.Throttled e = assertThrows(KmsException.Throttled.class, () -> wrap(within(Duration.ofSeconds(2))));
        assertEquals(Duration.ofSeconds(30), e.retryAfter().orElseThrow());
        // It gave up at once instead of sleeping: no retry was scheduled after the 429 (one is counted before each
        // backoff) and no attempt followed it. Sleeping first would have ended in DeadlineExceeded, not Throttled.
        assertFalse(fixture.telemetry.retries.contains("wrapKey:throttled"), "must not sleep past the deadline: "
                + fixture.telemetry.retries);
        long cutOff = fixture.telemetry.retries.stream().filter("wrapKey:timeout"::equals).count(); // a slow machine
        assertEquals(before + 1 + cutOff, vault.count("wrapkey"), "the 429 answered the last attempt");
    }

    @Test
    void a_slow_answer_is_cut_at_the_call_timeout_and_retried() {
        vault.delayNext("wrapkey", 1200, 1);
        long before = vault.count("wrapkey");
        assertEquals(256, wrap(within(Duration.ofSeconds(3))).length);
        // Not waited out: the 1200 ms attempt was abandoned at the 400 ms call-timeout, counted as a timeout retry,
        // and a further attempt answered.
        assertTrue(fixture.telemetry.retries.contains("wrapKey:timeout"), fixture.telemetry.retries.toString());
        assertTrue(vault.count("wrapkey") >= before + 2, "a further attempt after the one cut off");
    }

    @Test
    void an_outage_stops_at_the_callers_deadline_with_backend_unavailable() {
        // Ten attempts allowed: their backoffs alone (at least 10+20+40+50*6 = 370 ms with the fixture's 20 ms base
        // and 100 ms cap) exceed the 300 ms deadline, so only the deadline can stop the loop, never the attempt budget.
        backend.close();
        backend = fixture.set("max-attempts", 10).open();
        version = backend.current();
        fixture.telemetry.retries.clear();
        vault.failNext("wrapkey", 500, Map.of(), 50);
        long before = vault.count("wrapkey");
        KmsException e = assertThrows(KmsException.class, () -> wrap(within(Duration.ofMillis(300))));
        assertTrue(e instanceof KmsException.BackendUnavailable || e instanceof KmsException.DeadlineExceeded,
                e.toString());
        long attempts = vault.count("wrapkey") - before;
        assertTrue(attempts >= 1 && attempts < 10, attempts + " attempts: the deadline, not max-attempts, ended it");
        assertTrue(fixture.telemetry.retries.size() < 9, fixture.telemetry.retries.toString());
        vault.clearFaults();
    }

    @Test
    void status_stays_ok_through_a_short_outage_within_the_grace_window_then_turns_unhealthy() {
        backend.probe();
        assertEquals(Health.State.HEALTHY, backend.health().state());
        vault.failNext("wrapkey", 503, Map.of(), 100);
        backend.probe();
        assertEquals(Health.State.DEGRADED, backend.health().state());
        assertTrue(fixture.service(backend).status().healthz().equals("ok"));
        fixture.clock.advance(Duration.ofSeconds(61));
        assertEquals(Health.State.UNHEALTHY, backend.health().state());
        assertFalse(fixture.service(backend).status().healthz().equals("ok"));
        vault.clearFaults();
        backend.probe();
        assertEquals(Health.State.HEALTHY, backend.health().state());
    }

    @Test
    void revoked_permission_makes_status_unhealthy_at_once_naming_the_permission() {
        vault.deny("unwrapkey");
        backend.probe();
        Health health = backend.health();
        assertEquals(Health.State.UNHEALTHY, health.state());
        assertTrue(health.detail().contains("unwrapKey") && health.detail().contains("Key Vault Crypto Service "
                + "Encryption User"), health.detail());
    }

    @Test
    void live_calls_hitting_a_disabled_current_version_turn_status_unhealthy_without_waiting_for_the_probe() {
        vault.version("kek", key.version()).enabled = false;
        for (int i = 1; i <= CurrentVersion.FAILED_CALLS; i++) {
            KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                    () -> wrap(within(Duration.ofSeconds(3))));
            assertTrue(e.getMessage().contains("disabled"), e.getMessage());
            // One failed call never changes health; FAILED_CALLS consecutive ones do.
            assertEquals(i < CurrentVersion.FAILED_CALLS ? Health.State.HEALTHY : Health.State.UNHEALTHY,
                    backend.health().state(), "after " + i + " failed calls");
        }
    }

    @Test
    void a_deleted_key_is_an_unknown_key_version_and_unhealthy() {
        vault.delete("kek");
        for (int i = 0; i < CurrentVersion.FAILED_CALLS; i++) {
            assertThrows(KmsException.UnknownKeyVersion.class, () -> wrap(within(Duration.ofSeconds(3))));
        }
        assertEquals(Health.State.UNHEALTHY, backend.health().state());
    }
}
