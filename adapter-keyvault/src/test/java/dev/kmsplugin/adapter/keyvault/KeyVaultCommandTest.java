package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.testkit.CommandRun;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code kms-plugin keyvault create-key|rotate-key|check} against the test vault, through the real SDK. */
class KeyVaultCommandTest extends VaultTest {

    CommandRun run(String word) {
        return CommandRun.run(new KeyVaultCommand(fixture.env, settings -> Fixture.trustingClient())::run,
                List.of(word), fixture.view());
    }

    /** Runs {@code word}, which must exit 0 (failing with its error output), and returns its output. */
    String succeeds(String word) {
        CommandRun result = run(word);
        assertEquals(0, result.exitCode(), result.err());
        return result.out();
    }

    static List<String> texts(JsonNode array) {
        List<String> values = new java.util.ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }

    @Test
    void create_key_makes_an_hsm_protected_rsa_3072_key_allowed_only_to_wrap_and_unwrap() {
        String out = succeeds("create-key");
        assertEquals(1, vault.creates.size());
        JsonNode sent = vault.creates.get(0);
        assertEquals("RSA-HSM", sent.path("kty").asText());
        assertEquals(3072, sent.path("key_size").asInt());
        assertEquals(List.of("wrapKey", "unwrapKey"), texts(sent.path("key_ops")));
        String version = out.replaceAll("(?s).*version ([0-9a-f]{32}).*", "$1");
        assertTrue(out.contains("created key 'kek' version " + version), out);
        assertTrue(out.contains("key_id " + VaultAddress.of("myvault", false, Cloud.PUBLIC,
                Optional.empty()).keyId(new KeyRef("kek", version))), out);
    }

    @Test
    void create_key_leaves_an_existing_key_alone_unless_told_to_add_a_version() {
        vault.createVersion("kek", 2048);
        String again = succeeds("create-key");
        assertTrue(again.contains("already exists") && again.contains("nothing changed"), again);
        assertEquals(0, vault.creates.size());

        fixture.set("create.add-version", true);
        String added = succeeds("create-key");
        assertTrue(added.startsWith("added version "), added);
        assertEquals(1, vault.creates.size());
    }

    @Test
    void create_key_sends_expiry_and_a_rotation_policy_when_asked() {
        fixture.set("create.key-type", "RSA").set("create.key-size", 2048)
                .set("create.expires-in", Duration.ofDays(365)).set("create.rotate-every", Duration.ofDays(90))
                .set("create.notify-before-expiry", Duration.ofDays(30));
        long before = Instant.now().getEpochSecond();
        String out = succeeds("create-key");
        long after = Instant.now().getEpochSecond();
        JsonNode sent = vault.creates.get(0);
        assertEquals("RSA", sent.path("kty").asText());
        assertEquals(2048, sent.path("key_size").asInt());
        long exp = sent.path("attributes").path("exp").asLong();
        long year = Duration.ofDays(365).toSeconds();
        // A year from when the command ran, however long it took: bracketed by the times before and after it.
        assertTrue(exp >= before + year && exp <= after + year, "exp " + exp + " not a year after ["
                + before + ", " + after + "]");
        JsonNode policy = vault.policies.get("kek");
        assertEquals("P365D", policy.path("attributes").path("expiryTime").asText(), policy.toString());
        String actions = policy.path("lifetimeActions").toString().toLowerCase(java.util.Locale.ROOT);
        assertTrue(actions.contains("{\"timeaftercreate\":\"p90d\"},\"action\":{\"type\":\"rotate\"}"), actions);
        assertTrue(actions.contains("{\"timebeforeexpiry\":\"p30d\"},\"action\":{\"type\":\"notify\"}"), actions);
        assertTrue(out.contains("rotation policy: a new version every 90 days"), out);
    }

    @Test
    void create_key_refuses_software_keys_on_managed_hsm_and_unsupported_sizes() {
        fixture.set("managed-hsm", true).set("create.key-type", "RSA").set("create.key-size", 1024);
        CommandRun result = run("create-key");
        assertEquals(2, result.exitCode());
        assertTrue(result.err().contains("not available on Managed HSM") && result.err().contains("2048, 3072 or 4096"),
                result.err());
        assertEquals(0, vault.requests.size(), "nothing was sent");
    }

    @Test
    void create_key_without_the_create_permission_names_the_officer_role_and_exits_5() {
        vault.deny("create");
        CommandRun result = run("create-key");
        assertEquals(5, result.exitCode(), result.err());
        assertTrue(result.err().contains("'create'") && result.err().contains("Key Vault Crypto Officer"), result.err());
    }

    @Test
    void rotate_key_adds_a_version_of_the_same_kind_and_prints_its_key_id() {
        vault.createVersion("kek", 2048);
        String out = succeeds("rotate-key");
        JsonNode sent = vault.creates.get(0);
        assertEquals("RSA", sent.path("kty").asText());
        assertEquals(2048, sent.path("key_size").asInt());
        String version = out.replaceAll("(?s).*version ([0-9a-f]{32}) added.*", "$1");
        assertTrue(out.contains("key_id " + VaultAddress.of("myvault", false, Cloud.PUBLIC,
                Optional.empty()).keyId(new KeyRef("kek", version))), out);
        assertTrue(out.contains("versionless plugin makes it current"), out);
    }

    @Test
    void rotate_key_of_a_missing_key_exits_4() {
        CommandRun result = run("rotate-key");
        assertEquals(4, result.exitCode(), result.err());
        assertTrue(result.err().contains("create-key"), result.err());
    }

    @Test
    void check_passes_for_a_usable_key_and_round_trips() {
        vault.createVersion("kek", 3072);
        String out = succeeds("check");
        assertTrue(out.startsWith("OK: ") && out.contains("round trip succeeded"), out);
        // --wrap=local (the default): the check wraps with the public key and unwraps in Key Vault, and says that
        // the identity's wrapKey permission was not exercised.
        assertTrue(vault.count("wrapkey") == 0 && vault.count("unwrapkey") >= 1, vault.paths().toString());
        assertTrue(out.contains("wrapKey permission was not used"), out);
    }

    @Test
    void check_with_remote_wrap_says_key_vault_wrapped() {
        vault.createVersion("kek", 3072);
        fixture.set("wrap", "remote");
        String out = succeeds("check");
        assertTrue(out.contains("wrapped and unwrapped by Key Vault"), out);
        assertTrue(vault.count("wrapkey") >= 1, vault.paths().toString());
    }

    @Test
    void check_with_a_rejected_client_secret_exits_2_naming_the_entra_id_error_and_the_field_to_fix() {
        vault.createVersion("kek", 2048);
        vault.clientSecret = "another-secret";
        CommandRun result = run("check");
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().contains("AADSTS7000215") && result.err().contains("Invalid client secret")
                && result.err().contains("aadClientSecret"), result.err());
        assertTrue(!result.err().contains("RBAC role") && !result.err().contains("s3cr3t-value"), result.err());
    }

    @Test
    void check_with_an_unknown_certificate_exits_2_naming_the_entra_id_error_and_the_field_to_fix() throws Exception {
        vault.createVersion("kek", 2048);
        vault.rejectAssertions = true;
        fixture.config("{\"tenantId\":\"" + TestKeyVault.TENANT + "\",\"aadClientId\":\"app-2\","
                + "\"aadClientCertPath\":\"" + TestTls.get().keyStore + "\",\"aadClientCertPassword\":\""
                + TestTls.PASSWORD + "\"}");
        CommandRun result = run("check");
        assertEquals(2, result.exitCode(), result.err());
        assertTrue(result.err().contains("AADSTS700027") && result.err().contains("certificate")
                && result.err().contains("aadClientCertPath"), result.err());
        assertTrue(!result.err().contains("RBAC role"), result.err());
    }

    @Test
    void check_of_a_missing_key_exits_4() {
        assertEquals(4, run("check").exitCode());
    }

    @Test
    void check_without_wrap_permission_exits_5_and_names_what_to_grant() {
        vault.createVersion("kek", 2048);
        vault.deny("wrapkey");
        fixture.set("wrap", "remote"); // a local wrap needs no wrapKey permission
        CommandRun result = run("check");
        assertEquals(5, result.exitCode(), result.err());
        assertTrue(result.err().contains("'wrapKey'"), result.err());
        assertTrue(result.err().contains("to fix: grant the identity the RBAC role 'Key Vault Crypto Service "
                + "Encryption User'") && result.err().contains("get, list, unwrapKey (and wrapKey with --wrap=remote)"), result.err());
    }

    @Test
    void check_of_a_key_with_the_wrong_operations_a_disabled_version_or_too_few_bits_exits_2() {
        vault.createVersion("kek", 2048).ops = List.of("sign", "verify");
        CommandRun wrongOps = run("check");
        assertEquals(2, wrongOps.exitCode());
        assertTrue(wrongOps.err().contains("[wrapKey, unwrapKey]"), wrongOps.err());

        TestKeyVault.Version disabled = vault.createVersion("kek", 2048);
        disabled.enabled = false;
        fixture.set("key-version", disabled.id);
        CommandRun off = run("check");
        assertEquals(2, off.exitCode());
        assertTrue(off.err().contains("is disabled"), off.err());

        TestKeyVault.Version small = vault.createVersion("kek", 1024);
        fixture.set("key-version", small.id);
        CommandRun tooSmall = run("check");
        assertEquals(2, tooSmall.exitCode());
        assertTrue(tooSmall.err().contains("1024 bits"), tooSmall.err());
    }
}
