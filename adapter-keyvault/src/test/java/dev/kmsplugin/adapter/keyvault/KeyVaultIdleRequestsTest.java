package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kmsplugin.domain.health.Health;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an idle node costs the vault at the shipped defaults: the probe and the versionless refresh, counted at the
 * test vault's endpoint, against the goal of at most 75 Key Vault requests per hour per node for a key of up to 25
 * versions (one listing page).
 */
class KeyVaultIdleRequestsTest extends VaultTest {

    private static final long HOURLY_GOAL = 75;

    private static final Config DEFAULTS = ConfigFactory.parseResources(KeyVaultIdleRequestsTest.class.getClassLoader(),
            "reference.conf").getConfig("kms.keyvault");

    private List<String> requestsDuring(Runnable work) {
        int before = vault.requests.size();
        work.run();
        return vault.requests.subList(before, vault.requests.size()).stream()
                .map(TestKeyVault.Request::operation).toList();
    }

    @Test
    void an_idle_hour_at_the_defaults_stays_within_the_goal_with_25_versions() {
        for (int i = 0; i < TestKeyVault.LIST_PAGE; i++) {
            vault.createVersion("kek", 2048);
        }
        Duration probeInterval = DEFAULTS.getDuration("probe-interval");
        Duration refreshInterval = DEFAULTS.getDuration("refresh-interval");
        assertEquals("local", DEFAULTS.getString("wrap"));
        try (var backend = fixture.set("probe-interval", probeInterval).set("refresh-interval", refreshInterval)
                .open()) {
            List<String> probe = requestsDuring(backend::probe);
            assertEquals(List.of("unwrapkey"), probe, "a probe wraps locally and unwraps in Key Vault");
            assertEquals(Health.State.HEALTHY, backend.health().state());

            List<String> refresh = requestsDuring(backend::refresh);
            assertEquals(List.of("versions"), refresh, "a refresh that finds the same current version lists the "
                    + "versions, one page, and reads nothing else");

            // Once an hour the current version's bundle is read again (key operations may have changed).
            fixture.clock.advance(VersionResolver.BUNDLE_REREAD);
            List<String> reread = requestsDuring(backend::refresh);
            assertEquals(List.of("versions", "get"), reread);

            Duration hour = Duration.ofHours(1);
            long perHour = hour.dividedBy(probeInterval) * probe.size()
                    + hour.dividedBy(refreshInterval) * refresh.size()
                    + hour.dividedBy(VersionResolver.BUNDLE_REREAD) * (reread.size() - refresh.size());
            assertTrue(perHour <= HOURLY_GOAL, "an idle hour costs " + perHour + " Key Vault requests at the "
                    + "defaults (probe every " + probeInterval + ", refresh every " + refreshInterval + "); the goal "
                    + "is at most " + HOURLY_GOAL);
        }
    }

    @Test
    void a_refresh_still_sees_a_current_version_disabled_through_the_listing() {
        TestKeyVault.Version older = vault.createVersion("kek", 2048);
        TestKeyVault.Version newest = vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            assertEquals(newest.id, backend.currentRef().version());
            newest.enabled = false;
            List<String> refresh = requestsDuring(backend::refresh);
            assertEquals(older.id, backend.currentRef().version(), "the listing shows the newest version disabled");
            assertEquals("versions", refresh.get(0));
            assertTrue(refresh.contains("get"), "a version that becomes current is read and checked: " + refresh);
        }
    }

    @Test
    void more_versions_than_one_page_are_listed_across_pages() {
        for (int i = 0; i < TestKeyVault.LIST_PAGE + 3; i++) {
            vault.createVersion("kek", 2048);
        }
        TestKeyVault.Version newest = vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            assertEquals(newest.id, backend.currentRef().version(), "the newest version is on the second page");
            assertEquals(List.of("versions", "versions"), requestsDuring(backend::refresh));
        }
    }
}
