package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.CommandRun;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code kms-plugin sim retire|restore}: the shared checks with the simulator's switch (the retired-versions file),
 * and a serving backend that refuses a retired version within a refresh and unwraps it again after a restore.
 */
class SimRetireTest {

    private long depending;

    private CommandRun sim(Map<String, String> extra, String... words) {
        Map<String, String> values = new HashMap<>(Map.of("dir", SoftHsmFixture.SIM_DIR.toString(),
                "token-label", SoftHsmFixture.LABEL, "key-name", "kek", "refresh-interval", "PT30S",
                "probe-interval", "PT30S", "health-grace", "PT2M", "retire.dry-run", "false",
                "retire.min-successor-age", ""));
        values.putAll(extra);
        StoredData stored = (inventory, version) -> new StoredData.Dependence("etcd test at revision 3", depending, 0,
                depending == 0 ? List.of() : List.of(depending + " values (secrets " + depending + ")"));
        return CommandRun.run(new SimCommand(SoftHsmFixture.env())::run, List.of(words),
                SoftHsmFixture.settingsView(values), CommandRun.storedData(stored));
    }

    private static CallContext call() {
        return CallContext.of("test", Duration.ofSeconds(5));
    }

    @Test
    void retire_refuses_until_safe_makes_the_version_unusable_and_restore_undoes_it() throws Exception {
        assertEquals(0, sim(Map.of(), "init").exitCode());
        SimSettings settings = SoftHsmFixture.settings("kek");
        SoftHsmKekBackend backend = SoftHsmFixture.backend(settings);
        try {
            EnvelopeService service = new EnvelopeService(Backend.of(backend), Telemetry.none());
            byte[] key = new byte[32];
            key[0] = 7;
            Plaintext dek = new Plaintext(key);
            EncryptResult old = service.encrypt(dek, call());
            assertEquals(new KeyRef("kek", "1"), backend.current().ref());
            assertEquals(0, sim(Map.of(), "rotate").exitCode());
            backend.refresh();
            DecryptRequest oldRequest = DecryptRequest.v2(old.ciphertext(), Optional.of(old.keyId()),
                    old.annotations());

            CommandRun current = sim(Map.of("retire.min-successor-age", "PT0S"), "retire", "2");
            assertEquals(6, current.exitCode(), current.out());
            assertTrue(current.out().contains("refused: kek/2 is the current version"), current.out());

            CommandRun young = sim(Map.of(), "retire", "1");
            assertEquals(6, young.exitCode(), young.out());
            assertTrue(young.out().contains("minimum successor age: 4m30s (refresh interval 30s + 3m + one Status"
                    + " poll 1m"), young.out());

            depending = 3;
            CommandRun needed = sim(Map.of("retire.min-successor-age", "PT0S"), "retire-version", "1");
            assertEquals(6, needed.exitCode(), needed.out());
            assertTrue(needed.out().contains("refused: stored data still depends on key version kek/1 (etcd test at"
                    + " revision 3):\n  3 values (secrets 3)"), needed.out());
            depending = 0;

            CommandRun dry = sim(Map.of("retire.min-successor-age", "PT0S", "retire.dry-run", "true"), "retire", "1");
            assertEquals(0, dry.exitCode(), dry.out());
            assertTrue(dry.out().contains("dry run: would retire kek/1"), dry.out());
            assertFalse(Files.exists(SoftHsmFixture.SIM_DIR.resolve(RetiredVersions.FILE)), "a dry run changes nothing");

            CommandRun retired = sim(Map.of("retire.min-successor-age", "PT0S"), "retire", "1");
            assertEquals(0, retired.exitCode(), retired.out());
            assertTrue(retired.out().contains("Undo with: kms-plugin sim restore 1 --sim-dir=" + SoftHsmFixture.SIM_DIR),
                    retired.out());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    SoftHsmFixture.SIM_DIR.resolve(RetiredVersions.FILE))));
            assertTrue(sim(Map.of(), "list").out().lines().anyMatch(line -> line.matches("1\\s+retired\\s+.*")));

            assertEquals(dek, service.decrypt(oldRequest, call()), "a running plugin sees it at its next refresh");
            backend.refresh();
            KmsException refused = assertThrows(KmsException.UnknownKeyVersion.class,
                    () -> service.decrypt(oldRequest, call()));
            assertTrue(refused.getMessage().contains("key version kek/1 is retired")
                    && refused.getMessage().contains("kms-plugin sim restore 1")
                    && !refused.getMessage().contains(SoftHsmFixture.SIM_DIR.toString()), refused.getMessage());
            assertEquals(dek, service.decrypt(DecryptRequest.of(service.encrypt(dek, call()).ciphertext()), call()),
                    "the current version is untouched");

            CommandRun again = sim(Map.of("retire.min-successor-age", "PT0S"), "retire", "1");
            assertTrue(again.out().contains("kek/1 is already retired; nothing changed"), again.out());

            CommandRun restored = sim(Map.of(), "restore-version", "1");
            assertEquals(0, restored.exitCode(), restored.out());
            backend.refresh();
            assertEquals(dek, service.decrypt(oldRequest, call()));
            assertTrue(sim(Map.of(), "list").out().lines().anyMatch(line -> line.matches("1\\s+enabled\\s+.*")));
        } finally {
            backend.close();
        }
        assertThrows(KmsException.Misconfigured.class, () -> sim(Map.of(), "retire", "9"));
        assertEquals(2, sim(Map.of(), "retire").exitCode(), "a version is required");
    }
}
