package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kms-plugin keyvault retire-version|restore-version} through the packaged launcher: the versions in the
 * project's test Key Vault through the real Azure SDK, the stored data in a real etcd with TLS (read through the
 * storage plugin, which the app wires in), and a serving plugin whose Decrypt shows what a retirement does.
 */
class KeyVaultRetireIT extends VaultAndEtcdIT {

    /** {@code kms-plugin keyvault WORD VERSION} with the etcd and Key Vault flags of the test. */
    private static KeyVaultLauncherIT.Run keyvault(String word, String version, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("keyvault", word, version));
        args.addAll(StorageAuditLauncherIT.etcdFlags(etcd));
        args.addAll(KeyVaultLauncherIT.keyVaultFlags("retire-kek",
                KeyVaultLauncherIT.WORK.resolve("azure.json").toString()));
        args.addAll(List.of(extra));
        return KeyVaultLauncherIT.launchTrustingTheVault(args);
    }

    private static KeyVaultLauncherIT.Run decrypt(String socket, byte[] ciphertext, String keyId) throws Exception {
        return KeyVaultLauncherIT.client(socket, Base64.getEncoder().encode(ciphertext), "decrypt",
                "--client-key-id=" + keyId);
    }

    private static boolean enabled(String version) throws Exception {
        return Boolean.parseBoolean(KeyVaultLauncherIT.vaultCommand("enabled retire-kek " + version, "ENABLED "));
    }

    @Test
    void a_version_is_retired_only_when_nothing_needs_it_and_restored_on_demand() throws Exception {
        String a = KeyVaultLauncherIT.vaultCommand("rotate retire-kek", "ROTATED version=");
        String keyIdA = KeyVaultStorageAuditIT.keyId("retire-kek", a);
        Path socketDir = ShortTempDirs.create("kv-retire-it-");
        String socket = socketDir.resolve("kms.sock").toString();
        List<String> flags = KeyVaultLauncherIT.fastRefreshFlags("retire-kek", socket);
        try (KeyVaultLauncherIT.Plugin plugin = new KeyVaultLauncherIT.Plugin(flags, Map.of())) {
            assertTrue(plugin.awaitOutput(out -> out.contains("serving KMS on"), 60), plugin.output.toString());
            byte[] ofA = KeyVaultLauncherIT.encrypt(socket);
            etcd.putAll(values(20, "secrets", ApiserverValues.kmsV2("azurekmsprovider", keyIdA, ofA)));

            String b = KeyVaultLauncherIT.vaultCommand("rotate retire-kek", "ROTATED version=");
            assertTrue(plugin.awaitOutput(o -> o.contains("current key version changed"), 30),
                    plugin.output.toString());

            KeyVaultLauncherIT.Run needed = keyvault("retire-version", a, "--min-successor-age=0s");
            assertEquals(6, needed.exitCode(), needed.out() + needed.err());
            assertTrue(needed.out().contains("refused: stored data still depends on key version retire-kek/" + a)
                    && needed.out().contains("20 values (secrets 20)"), needed.out());
            assertTrue(enabled(a));

            byte[] ofB = KeyVaultLauncherIT.encrypt(socket);
            etcd.putAll(values(20, "secrets", ApiserverValues.kmsV2("azurekmsprovider",
                    KeyVaultStorageAuditIT.keyId("retire-kek", b), ofB)));

            KeyVaultLauncherIT.Run young = keyvault("retire-version", a);
            assertEquals(6, young.exitCode(), young.out() + young.err());
            assertTrue(young.out().contains("minimum successor age: 9m (refresh interval 5m")
                    && young.out().contains("refused: retire-kek/" + b + " became current at"), young.out());
            assertTrue(enabled(a));

            KeyVaultLauncherIT.Run dry = keyvault("retire-version", a, "--dry-run", "--min-successor-age=0s");
            assertEquals(0, dry.exitCode(), dry.out() + dry.err());
            assertTrue(dry.out().contains("dry run: would retire retire-kek/" + a), dry.out());
            assertTrue(enabled(a));
            assertEquals(0, decrypt(socket, ofA, keyIdA).exitCode());

            KeyVaultLauncherIT.Run retired = keyvault("retire-version", a, "--min-successor-age=0s");
            assertEquals(0, retired.exitCode(), retired.out() + retired.err());
            assertTrue(retired.out().contains("retired retire-kek/" + a + " (key_id " + keyIdA + ")")
                    && retired.out().contains("Undo with: kms-plugin keyvault restore-version " + a
                    + " --keyvault-name=myvault --key-name=retire-kek"), retired.out());
            assertTrue(!enabled(a));

            KeyVaultLauncherIT.Run refused = decrypt(socket, ofA, keyIdA);
            assertEquals(1, refused.exitCode(), refused.err());
            assertTrue(refused.err().contains("FAILED_PRECONDITION") && refused.err().contains("retired")
                    && refused.err().contains("kms-plugin keyvault restore-version " + a), refused.err());

            KeyVaultLauncherIT.Run restored = keyvault("restore-version", a);
            assertEquals(0, restored.exitCode(), restored.out() + restored.err());
            assertTrue(enabled(a));
            KeyVaultLauncherIT.Run readable = decrypt(socket, ofA, keyIdA);
            assertEquals(0, readable.exitCode(), readable.err());

            KeyVaultLauncherIT.Run current = keyvault("retire-version", b, "--min-successor-age=0s");
            assertEquals(6, current.exitCode(), current.out() + current.err());
            assertTrue(current.out().contains("is the current version"), current.out());
            assertTrue(enabled(b));
        } finally {
            Files.deleteIfExists(Path.of(socket));
            Files.deleteIfExists(socketDir);
        }
    }
}
