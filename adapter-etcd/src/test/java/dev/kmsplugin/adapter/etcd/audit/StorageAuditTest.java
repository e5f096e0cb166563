package dev.kmsplugin.adapter.etcd.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Exact counts for a keyspace with every kind of stored value, matched against a backend's inventory. */
class StorageAuditTest {

    record Inventory(String describe, List<KnownVersion> versions) implements KeyInventory {
    }

    static final KeyInventory INVENTORY = new Inventory("test backend, key 'kek'", List.of(
            version("1", KeyInventory.State.ENABLED),
            version("2", KeyInventory.State.CURRENT),
            version("3", KeyInventory.State.DISABLED)));

    static KeyInventory.KnownVersion version(String number, KeyInventory.State state) {
        return new KeyInventory.KnownVersion(new KeyRef("kek", number), keyId(number), state,
                Optional.of(Instant.parse("2026-12-01T00:00:00Z")));
    }

    static KeyId keyId(String version) {
        return KeyId.sha256Hex("test:kek/" + version);
    }

    static byte[] ours(String version) {
        return CiphertextFormat.encode(new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef("kek", version),
                ApiserverValues.random(60))).bytes();
    }

    private final StorageAudit audit = new StorageAudit(INVENTORY, Set.of("kms-a"), "/registry/");
    private int serial;

    private void put(String resourcePath, byte[] value) {
        audit.add(("/registry/" + resourcePath + "/ns/obj-" + serial++).getBytes(StandardCharsets.UTF_8), value);
    }

    private void times(int n, String resourcePath, java.util.function.Supplier<byte[]> value) {
        for (int i = 0; i < n; i++) {
            put(resourcePath, value.get());
        }
    }

    @Test
    void every_value_is_counted_once_and_attributed_to_the_version_it_needs() {
        times(10, "configmaps", () -> ApiserverValues.identity(100));
        times(3, "secrets", () -> ApiserverValues.other("aescbc", "key1"));
        times(5, "secrets", () -> ApiserverValues.kmsV2("kms-a", keyId("1").value(), ours("1")));
        times(7, "secrets", () -> ApiserverValues.kmsV2("kms-a", keyId("2").value(), ours("2")));
        times(2, "configmaps", () -> ApiserverValues.kmsV1("kms-a", ours("1")));
        times(4, "example.com/widgets", () -> ApiserverValues.kmsV2("kms-a", keyId("2").value(),
                ApiserverValues.goPluginCiphertext()));
        times(1, "secrets", () -> ApiserverValues.kmsV2("kms-a", "a-key-id-nobody-has",
                ApiserverValues.goPluginCiphertext()));
        times(2, "secrets", () -> ApiserverValues.kmsV1("kms-a", ApiserverValues.goPluginCiphertext()));
        times(1, "secrets", () -> ApiserverValues.garbageAfterKmsPrefix("kms-a"));
        times(2, "secrets", () -> ApiserverValues.kmsV2("other-kms", keyId("1").value(), ours("1")));
        times(1, "secrets", () -> ApiserverValues.kmsV2("kms-a", "whatever", ours("9")));
        times(1, "secrets", () -> ApiserverValues.kmsV2("kms-a", keyId("3").value(), ours("3")));
        times(1, "secrets", () -> ApiserverValues.kmsV2("kms-a", keyId("2").value(), ours("1")));

        AuditReport report = audit.report("https://127.0.0.1:2379", 42, INVENTORY.describe());

        assertEquals(40, report.total());
        assertEquals(10, report.unencrypted());
        assertEquals(Map.of("aescbc:v1:key1", 3L, "kms:v2:other-kms", 2L), report.otherProviders());
        assertEquals(2, report.unattributedCount());
        assertEquals(2, report.unreadable().count(), "garbage, and a keyID naming another version than the header");
        assertEquals(report.total(), report.unencrypted() + 5 + report.kmsCount() + report.unattributedCount()
                + report.unreadable().count(), "every value counted once");
        assertEquals(3, report.unknownVersion(), "version 9 (absent), version 3 (disabled), an unknown key_id");

        List<String> rows = report.kms().stream().map(e -> e.provider() + " " + e.api() + " "
                + e.keyVersion().orElse("-") + " " + e.state() + " " + e.values().count()).toList();
        assertEquals(List.of(
                "kms-a v1 1 enabled 2",
                "kms-a v2 1 enabled 5",
                "kms-a v2 2 current 11",
                "kms-a v2 3 disabled 1",
                "kms-a v2 9 unknown 1",
                "kms-a v2 - unknown 1"), rows);
        AuditReport.KmsEntry v1 = report.kms().get(0);
        assertEquals(Optional.of(keyId("1").value()), v1.keyId(), "a v1 value's key_id comes from the inventory");

        AuditReport.Group needsOne = report.dependingOn("kek", "1");
        assertEquals(7, needsOne.count());
        assertEquals(Map.of("secrets", 5L, "configmaps", 2L), needsOne.byResource());
        assertEquals(5, needsOne.firstKeys().size());
        assertEquals(0, report.dependingOn("kek", "4").count());
        assertEquals(Map.of("configmaps", 12L, "secrets", 24L, "widgets.example.com", 4L), report.byResource());
    }

    @Test
    void without_a_provider_filter_every_kms_provider_is_audited() {
        StorageAudit all = new StorageAudit(INVENTORY, Set.of(), "/registry/");
        all.add("/registry/secrets/a/b".getBytes(StandardCharsets.UTF_8),
                ApiserverValues.kmsV2("p1", keyId("1").value(), ours("1")));
        all.add("/registry/secrets/a/c".getBytes(StandardCharsets.UTF_8),
                ApiserverValues.kmsV2("p2", keyId("1").value(), ours("1")));
        AuditReport report = all.report("e", 1, "b");
        assertEquals(2, report.dependingOn("kek", "1").count());
        assertTrue(report.otherProviders().isEmpty());
    }

    @Test
    void the_json_report_has_the_documented_fields() {
        put("secrets", ApiserverValues.kmsV2("kms-a", keyId("2").value(), ours("2")));
        put("secrets", ApiserverValues.kmsV1("kms-a", ApiserverValues.goPluginCiphertext()));
        put("secrets", ApiserverValues.kmsV2("kms-a", keyId("3").value(), ours("3")));
        AuditReport report = audit.report("https://127.0.0.1:2379", 7, "test \"backend\"");
        ReportFormat.Requirement requirement = new ReportFormat.Requirement("kek", "3", report.dependingOn("kek", "3"),
                report.unattributedCount());
        String json = ReportFormat.json(report, Optional.of(requirement));
        assertTrue(json.startsWith("{\"etcd_endpoint\":\"https://127.0.0.1:2379\",\"etcd_prefix\":\"/registry/\","
                + "\"revision\":7,\"backend\":\"test \\\"backend\\\"\",\"total\":3,\"unencrypted\":0,"
                + "\"other_providers\":{},\"kms\":[{\"provider\":\"kms-a\",\"api\":\"v2\",\"key_name\":\"kek\","
                + "\"key_version\":\"2\",\"key_id\":\"" + keyId("2") + "\",\"state\":\"current\",\"count\":1},"), json);
        assertTrue(json.contains(",\"unknown_version\":1,\"unknown_versions\":[{\"provider\":\"kms-a\",\"api\":\"v2\","
                + "\"key_name\":\"kek\",\"key_version\":\"3\",\"key_id\":\"" + keyId("3") + "\",\"state\":\"disabled\","
                + "\"count\":1,\"by_resource\":{\"secrets\":1},\"first_keys\":[\"/registry/secrets/ns/obj-2\"]}],"
                + "\"unattributed\":1,\"unattributed_providers\":[{\"provider\":\"kms-a\",\"count\":1,"), json);
        assertTrue(json.contains("\"unreadable\":0,\"unreadable_examples\":[],\"by_resource\":{\"secrets\":3},"
                + "\"require_none_under\":{\"key_name\":\"kek\",\"key_version\":\"3\",\"refused\":true,\"count\":1,"), json);
        assertTrue(requirement.refused());
        assertFalse(new ReportFormat.Requirement("kek", "9", report.dependingOn("kek", "9"), 0).refused());
    }

    @Test
    void resources_are_named_as_kubectl_names_them() {
        assertEquals("secrets", StorageKey.resource("/registry/secrets/ns/name", "/registry/"));
        assertEquals("namespaces", StorageKey.resource("/registry/namespaces/default", "/registry/"));
        assertEquals("apiservices.apiregistration.k8s.io",
                StorageKey.resource("/registry/apiregistration.k8s.io/apiservices/v1.apps", "/registry/"));
        assertEquals("widgets.example.com", StorageKey.resource("/registry/example.com/widgets/ns/w", "/registry/"));
        assertEquals("(other)", StorageKey.resource("/registry/lonely", "/registry/"));
        assertEquals("secrets", StorageKey.resource("/custom/secrets/ns/x.y", "/custom/"));
    }

    @Test
    void keys_are_printed_as_one_printable_line() {
        assertEquals("/registry/secrets/ns/a?b c", StorageKey.printable(
                "/registry/secrets/ns/a\u0001b\nc".getBytes(StandardCharsets.UTF_8)));
    }
}
