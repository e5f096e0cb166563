package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Finishing a rotation with the simulator, through the packaged launcher against a real etcd with TLS: encrypt
 * through the running plugin, store in the apiserver's format, rotate, audit, retire (refused while data or a young
 * successor needs the old version), rewrite, retire, a Decrypt of old data fails with FAILED_PRECONDITION naming the
 * restore command, restore, and it decrypts again.
 */
class SimRetireLauncherIT {

    @RegisterExtension
    static final EtcdWorkspace workspace = new EtcdWorkspace("retire-it-");

    private static StorageAuditLauncherIT.Run kms(byte[] stdin, String... args) throws Exception {
        return StorageAuditLauncherIT.launch(stdin, List.of(args));
    }

    private static StorageAuditLauncherIT.Run sim(String... words) throws Exception {
        List<String> args = new ArrayList<>(List.of("sim"));
        args.addAll(List.of(words));
        args.add("--sim-dir=" + workspace.dir().resolve("sim"));
        args.addAll(StorageAuditLauncherIT.etcdFlags(workspace.etcd()));
        return StorageAuditLauncherIT.launch(new byte[0], args);
    }

    private static Map<byte[], byte[]> values(int count, String resource, byte[] value) {
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(("/registry/" + resource + "/ns/obj-" + i).getBytes(StandardCharsets.UTF_8), value);
        }
        return entries;
    }

    @Test
    void a_rotation_is_finished_only_when_nothing_needs_the_old_version_and_retiring_can_be_undone() throws Exception {
        Path socket = workspace.dir().resolve("kms.sock");
        Path log = workspace.dir().resolve("serve.log");
        Process plugin = new ProcessBuilder(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(),
                "--backend=hsm-sim", "--sim-dir=" + workspace.dir().resolve("sim"), "--listen-addr=unix://" + socket,
                "--sim-refresh-interval=1s").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && plugin.isAlive() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), Files.readString(log));
            byte[] dek = ApiserverValues.random(32);
            StorageAuditLauncherIT.Run encrypted = kms(dek, "client", "encrypt", "--client-output=base64",
                    "--listen-addr=unix://" + socket);
            assertEquals(0, encrypted.exitCode(), encrypted.err());
            String firstKeyId = StorageAuditLauncherIT.currentKeyId(socket);
            byte[] first = Base64.getDecoder().decode(encrypted.out().strip());
            workspace.etcd().putAll(values(40, "secrets", ApiserverValues.kmsV2("kms-plugin", firstKeyId, first)));

            assertEquals(0, sim("rotate").exitCode());
            String secondKeyId = StorageAuditLauncherIT.currentKeyId(socket);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (secondKeyId.equals(firstKeyId) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                secondKeyId = StorageAuditLauncherIT.currentKeyId(socket);
            }
            assertFalse(secondKeyId.equals(firstKeyId), "the plugin did not pick up the rotation");

            StorageAuditLauncherIT.Run audit = kms(new byte[0], auditArgs("--output=json"));
            List<?> kms = (List<?>) StorageAuditLauncherIT.json(audit).get("kms");
            assertEquals(1, kms.size(), "only version 1 holds data so far: " + kms);

            StorageAuditLauncherIT.Run needed = sim("retire", "1", "--min-successor-age=0s");
            assertEquals(6, needed.exitCode(), needed.out() + needed.err());
            assertTrue(needed.out().contains("refused: stored data still depends on key version kek/1")
                    && needed.out().contains("40 values (secrets 40)"), needed.out());

            // the apiserver rewrites the objects under the current version
            StorageAuditLauncherIT.Run rewrapped = kms(dek, "client", "encrypt", "--client-output=base64",
                    "--listen-addr=unix://" + socket);
            workspace.etcd().putAll(values(40, "secrets", ApiserverValues.kmsV2("kms-plugin", secondKeyId,
                    Base64.getDecoder().decode(rewrapped.out().strip()))));

            StorageAuditLauncherIT.Run young = sim("retire", "1");
            assertEquals(6, young.exitCode(), young.out() + young.err());
            assertTrue(young.out().contains("minimum successor age: 4m30s (refresh interval 30s + 3m + one Status"
                    + " poll 1m"), young.out());
            StorageAuditLauncherIT.Run current = sim("retire", "2", "--min-successor-age=0s");
            assertEquals(6, current.exitCode());
            assertTrue(current.out().contains("refused: kek/2 is the current version"), current.out());

            StorageAuditLauncherIT.Run dry = sim("retire", "1", "--min-successor-age=0s", "--dry-run");
            assertEquals(0, dry.exitCode(), dry.out() + dry.err());
            assertTrue(dry.out().contains("dry run: would retire kek/1"), dry.out());
            GrpcLauncherIT.Run stillReads = decrypt(socket, encrypted.out(), firstKeyId);
            assertEquals(0, stillReads.exitCode(), "a dry run changes nothing: " + stillReads.err());
            assertArrayEquals(dek, stillReads.bytes());

            StorageAuditLauncherIT.Run retired = sim("retire", "1", "--min-successor-age=0s");
            assertEquals(0, retired.exitCode(), retired.out() + retired.err());
            assertTrue(retired.out().contains("retired kek/1"), retired.out());
            assertTrue(sim("list").out().lines().anyMatch(line -> line.matches("1\\s+retired\\s+.*")));

            // the running plugin sees the retirement within its refresh interval (1 s here)
            GrpcLauncherIT.Run refused = decrypt(socket, encrypted.out(), firstKeyId);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (refused.exitCode() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                refused = decrypt(socket, encrypted.out(), firstKeyId);
            }
            assertEquals(1, refused.exitCode(), refused.err());
            assertTrue(refused.err().contains("FAILED_PRECONDITION") && refused.err().contains("kek/1 is retired")
                    && refused.err().contains("kms-plugin sim restore 1"), refused.err());

            StorageAuditLauncherIT.Run restored = sim("restore", "1");
            assertEquals(0, restored.exitCode(), restored.out() + restored.err());
            GrpcLauncherIT.Run again = refused;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (again.exitCode() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                again = decrypt(socket, encrypted.out(), firstKeyId);
            }
            assertEquals(0, again.exitCode(), again.err());
            assertArrayEquals(dek, again.bytes(), "decrypts again after the restore");
        } finally {
            plugin.destroy();
            plugin.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** {@code kms-plugin client decrypt} of a base64 ciphertext; the plaintext comes back as raw bytes. */
    private static GrpcLauncherIT.Run decrypt(Path socket, String base64, String keyId) throws Exception {
        return GrpcLauncherIT.run(List.of(LauncherIT.DISTRIBUTION.resolve("bin/kms-plugin").toString(), "client",
                "decrypt", "--client-key-id=" + keyId, "--listen-addr=unix://" + socket),
                base64.getBytes(StandardCharsets.US_ASCII));
    }

    private static String[] auditArgs(String... extra) {
        List<String> args = new ArrayList<>(List.of("storage", "audit", "--backend=hsm-sim",
                "--sim-dir=" + workspace.dir().resolve("sim")));
        args.addAll(StorageAuditLauncherIT.etcdFlags(workspace.etcd()));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }
}
