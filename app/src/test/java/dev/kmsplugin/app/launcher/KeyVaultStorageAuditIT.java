package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kms-plugin storage audit --backend=keyvault} through the packaged launcher: the key versions come from the
 * project's test Key Vault through the real Azure SDK, the data from a real etcd with TLS. Values written by this
 * plugin name their version in their header; the Go plugin's KMS v2 values are attributed by their key_id; its KMS
 * v1 values cannot be attributed and block a retirement check.
 */
class KeyVaultStorageAuditIT extends VaultAndEtcdIT {

    static String keyId(String keyName, String version) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                ("https://myvault.vault.azure.net/keys/" + keyName + "/" + version).getBytes(StandardCharsets.UTF_8)));
    }

    private static StorageAuditLauncherIT.Run audit(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("storage", "audit"));
        args.addAll(StorageAuditLauncherIT.etcdFlags(etcd));
        args.addAll(KeyVaultLauncherIT.keyVaultFlags("audit-kek",
                KeyVaultLauncherIT.WORK.resolve("azure.json").toString()));
        args.addAll(List.of(extra));
        KeyVaultLauncherIT.Run run = KeyVaultLauncherIT.launchTrustingTheVault(args);
        return new StorageAuditLauncherIT.Run(run.exitCode(), run.out(), run.err());
    }

    @Test
    void versions_come_from_key_vault_and_go_plugin_data_is_attributed_by_key_id_or_reported_unattributed()
            throws Exception {
        String first = KeyVaultLauncherIT.vaultCommand("rotate audit-kek", "ROTATED version=");
        Path socketDir = ShortTempDirs.create("kv-audit-it-");
        String socket = socketDir.resolve("kms.sock").toString();
        List<String> flags = KeyVaultLauncherIT.fastRefreshFlags("audit-kek", socket);
        String second;
        byte[] ofFirst;
        byte[] ofSecond;
        try (KeyVaultLauncherIT.Plugin plugin = new KeyVaultLauncherIT.Plugin(flags, Map.of())) {
            assertTrue(plugin.awaitOutput(out -> out.contains("serving KMS on"), 60), plugin.output.toString());
            ofFirst = KeyVaultLauncherIT.encrypt(socket);
            second = KeyVaultLauncherIT.vaultCommand("rotate audit-kek", "ROTATED version=");
            assertTrue(plugin.awaitOutput(o -> o.contains("current key version changed"), 30),
                    plugin.output.toString());
            ofSecond = KeyVaultLauncherIT.encrypt(socket);
        } finally {
            Files.deleteIfExists(Path.of(socket));
            Files.deleteIfExists(socketDir);
        }
        etcd.putAll(values(30, "secrets", ApiserverValues.kmsV2("azurekmsprovider", keyId("audit-kek", first),
                ofFirst)));
        byte[] current = ApiserverValues.kmsV2("azurekmsprovider", keyId("audit-kek", second), ofSecond);
        etcd.putAll(values(20, "secrets-new", current));
        // the Go plugin's: v2 carries the key_id of the version, v1 nothing at all
        etcd.putAll(values(7, "configmaps", ApiserverValues.kmsV2("azurekmsprovider", keyId("audit-kek", first),
                ApiserverValues.goPluginCiphertext())));
        etcd.putAll(values(4, "legacy", ApiserverValues.kmsV1("azurekmsprovider",
                ApiserverValues.goPluginCiphertext())));

        StorageAuditLauncherIT.Run run = audit("--output=json", "--require-none-under=" + first);
        assertEquals(6, run.exitCode(), run.out() + run.err());
        Map<String, Object> report = StorageAuditLauncherIT.json(run);
        assertEquals(61, ((Number) report.get("total")).intValue(), report.toString());
        assertEquals(4, ((Number) report.get("unattributed")).intValue());
        assertEquals(0, ((Number) report.get("unknown_version")).intValue());
        List<?> kms = (List<?>) report.get("kms");
        assertEquals(2, kms.size(), kms.toString());
        assertEquals(List.of(first, keyId("audit-kek", first), "enabled", 37), fields((Map<?, ?>) kms.get(0)));
        assertEquals(List.of(second, keyId("audit-kek", second), "current", 20), fields((Map<?, ?>) kms.get(1)));
        assertTrue(run.err().contains("refused: stored data still depends on key version audit-kek/" + first
                + ": 37 values (configmaps 7, secrets 30)"), run.err());
        assertTrue(run.err().contains("refused: 4 KMS v1 values written by another plugin"), run.err());

        // rewritten under the current version, and the Go plugin's v1 data migrated: nothing needs the first
        etcd.putAll(values(30, "secrets", current));
        etcd.putAll(values(7, "configmaps", current));
        etcd.putAll(values(4, "legacy", current));
        StorageAuditLauncherIT.Run clean = audit("--require-none-under=" + first);
        assertEquals(0, clean.exitCode(), clean.out() + clean.err());
        assertTrue(clean.out().contains("ok: no stored value depends on key version audit-kek/" + first),
                clean.out());
    }

    private static List<Object> fields(Map<?, ?> entry) {
        return List.of(entry.get("key_version"), entry.get("key_id"), entry.get("state"),
                ((Number) entry.get("count")).intValue());
    }
}
