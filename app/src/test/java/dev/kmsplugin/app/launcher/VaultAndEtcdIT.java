package dev.kmsplugin.app.launcher;

import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The project's test Key Vault and a real etcd with TLS, for the launcher ITs that need both, once per class. */
abstract class VaultAndEtcdIT {

    static EtcdProcess etcd;

    @BeforeAll
    static void startVaultAndEtcd() throws Exception {
        KeyVaultLauncherIT.startTestKeyVault();
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopVaultAndEtcd() throws Exception {
        if (etcd != null) {
            etcd.close();
        }
        KeyVaultLauncherIT.stopTestKeyVault();
    }

    /** {@code count} stored objects of {@code resource} in namespace {@code ns}, each holding {@code value}. */
    static Map<byte[], byte[]> values(int count, String resource, byte[] value) {
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(("/registry/" + resource + "/ns/obj-" + i).getBytes(StandardCharsets.UTF_8), value);
        }
        return entries;
    }
}
