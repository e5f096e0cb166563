package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.ApiserverValues;
import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.io.IOException;
import java.net.ServerSocket;
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
import org.yaml.snakeyaml.Yaml;

/**
 * {@code kms-plugin storage audit} through the packaged launcher, against a real etcd with TLS client certificates
 * (a PKCS#1 client key, as kubeadm writes it) and the simulator backend: ciphertexts come from the running plugin,
 * are stored in the apiserver's formats, the key rotates, and the audit says exactly what depends on which version.
 */
class StorageAuditLauncherIT {

    static final Path DISTRIBUTION = LauncherIT.DISTRIBUTION;
    @RegisterExtension
    static final EtcdWorkspace workspace = new EtcdWorkspace("storage-it-");

    record Run(int exitCode, String out, String err) {
    }

    static Run launch(byte[] stdin, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(DISTRIBUTION.resolve("bin/kms-plugin").toString());
        command.addAll(args);
        GrpcLauncherIT.Run run = GrpcLauncherIT.run(command, stdin);
        return new Run(run.exitCode(), run.out(), run.err());
    }

    static List<String> etcdFlags() {
        return etcdFlags(workspace.etcd());
    }

    static List<String> etcdFlags(EtcdProcess server) {
        return List.of("--etcd-endpoints=" + server.endpoint(), "--etcd-cacert=" + server.caCert(),
                "--etcd-cert=" + server.clientCert(), "--etcd-key=" + server.clientKey());
    }

    private List<String> simFlags() {
        return List.of("--backend=hsm-sim", "--sim-dir=" + workspace.dir().resolve("sim"));
    }

    private Run audit(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("storage", "audit"));
        args.addAll(etcdFlags());
        args.addAll(simFlags());
        args.addAll(List.of(extra));
        return launch(new byte[0], args);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(Run run) {
        assertTrue(run.out().startsWith("{"), run.out() + run.err());
        return (Map<String, Object>) new Yaml().load(run.out());
    }

    /** Encrypts a fresh data key through the running plugin; returns the ciphertext and (v2) the key_id. */
    private String[] encrypt(Path socket, String api) throws Exception {
        byte[] dek = ApiserverValues.random(32);
        Run run = launch(dek, List.of("client", "encrypt", "--client-api=" + api, "--client-output=base64",
                "--listen-addr=unix://" + socket));
        assertEquals(0, run.exitCode(), run.err());
        String keyId = GrpcLauncherIT.keyIdIn(run.err());
        return new String[] {run.out().strip(), keyId};
    }

    private static Map<byte[], byte[]> values(int count, String resource, byte[] value) {
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(("/registry/" + resource + "/ns-" + i % 7 + "/obj-" + i).getBytes(StandardCharsets.UTF_8),
                    value);
        }
        return entries;
    }

    /** The key_id new data keys are wrapped with by the plugin serving on {@code socket}. */
    static String currentKeyId(Path socket) throws Exception {
        Run status = launch(new byte[0], List.of("client", "status", "--listen-addr=unix://" + socket));
        assertEquals(0, status.exitCode(), status.err());
        return GrpcLauncherIT.keyIdIn(status.out());
    }

    @Test
    void the_audit_counts_what_each_version_holds_refuses_while_data_needs_a_version_and_passes_after_rewrite()
            throws Exception {
        Path socket = workspace.dir().resolve("kms.sock");
        Path log = workspace.dir().resolve("serve.log");
        List<String> serve = new ArrayList<>(List.of(DISTRIBUTION.resolve("bin/kms-plugin").toString()));
        serve.addAll(simFlags());
        serve.addAll(List.of("--listen-addr=unix://" + socket, "--sim-refresh-interval=1s"));
        Process plugin = new ProcessBuilder(serve).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && plugin.isAlive() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), "the plugin did not serve:\n" + Files.readString(log));

            String[] v2First = encrypt(socket, "v2");
            String[] v1First = encrypt(socket, "v1");
            String firstKeyId = v2First[1];
            workspace.etcd().putAll(values(300, "secrets", ApiserverValues.kmsV2("kms-plugin", firstKeyId,
                    Base64.getDecoder().decode(v2First[0]))));
            workspace.etcd().putAll(values(200, "configmaps", ApiserverValues.kmsV1("kms-plugin",
                    Base64.getDecoder().decode(v1First[0]))));
            workspace.etcd().putAll(values(100, "namespaces", ApiserverValues.identity(300)));
            workspace.etcd().putAll(values(20, "events", ApiserverValues.other("aescbc", "key1")));
            // two values above 1 MiB, read through pages of seven
            // (one at a time: etcd takes at most 1.5 MiB per request)
            workspace.etcd().put("/registry/configmaps-big/ns/a".getBytes(StandardCharsets.UTF_8),
                    ApiserverValues.identity(1_200_000));
            workspace.etcd().put("/registry/configmaps-big/ns/b".getBytes(StandardCharsets.UTF_8),
                    ApiserverValues.identity(1_300_000));

            Run rotate = launch(new byte[0], List.of("sim", "rotate", "--sim-dir=" + workspace.dir().resolve("sim")));
            assertEquals(0, rotate.exitCode(), rotate.err());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String secondKeyId = currentKeyId(socket);
            while (secondKeyId.equals(firstKeyId) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                secondKeyId = currentKeyId(socket);
            }
            assertFalse(secondKeyId.equals(firstKeyId), "the plugin did not pick up the rotation");
            String[] v2Second = encrypt(socket, "v2");
            assertEquals(secondKeyId, v2Second[1]);
            byte[] second = ApiserverValues.kmsV2("kms-plugin", secondKeyId, Base64.getDecoder().decode(v2Second[0]));
            workspace.etcd().putAll(values(1400, "secrets-new", second));
            workspace.etcd().putAll(values(50, "example.com/widgets", second));

            Map<String, Object> report = json(audit("--output=json", "--etcd-page-size=7"));
            assertEquals(2072, ((Number) report.get("total")).intValue(), report.toString());
            assertEquals(102, ((Number) report.get("unencrypted")).intValue());
            assertEquals(Map.of("aescbc:v1:key1", 20), report.get("other_providers"));
            assertEquals(0, ((Number) report.get("unknown_version")).intValue());
            assertEquals(0, ((Number) report.get("unattributed")).intValue());
            assertEquals(0, ((Number) report.get("unreadable")).intValue());
            assertEquals(List.of(
                    kms("v1", "1", firstKeyId, "enabled", 200),
                    kms("v2", "1", firstKeyId, "enabled", 300),
                    kms("v2", "2", secondKeyId, "current", 1450)), report.get("kms"));
            Map<String, Object> byResource = new LinkedHashMap<>();
            byResource.put("configmaps", 200);
            byResource.put("configmaps-big", 2);
            byResource.put("events", 20);
            byResource.put("namespaces", 100);
            byResource.put("secrets", 300);
            byResource.put("secrets-new", 1400);
            byResource.put("widgets.example.com", 50);
            assertEquals(byResource, report.get("by_resource"));

            Run table = audit();
            assertEquals(0, table.exitCode(), table.err());
            assertTrue(table.out().contains("values: 2072 total: 102 unencrypted, 20 other providers, 1950 KMS,"
                    + " 0 unattributed, 0 unreadable"), table.out());
            assertTrue(table.out().matches("(?s).*kms-plugin\\s+v2\\s+kek/2\\s+current\\s+1450\\s+" + secondKeyId
                    + ".*"), table.out());

            Run refused = audit("--require-none-under=1");
            assertEquals(6, refused.exitCode(), refused.out() + refused.err());
            assertTrue(refused.out().contains("refused: stored data still depends on key version kek/1: 500 values"
                    + " (configmaps 200, secrets 300); first keys: /registry/"), refused.out());
            Run fine = audit("--require-none-under=2", "--output=json");
            assertEquals(6, fine.exitCode(), "version 2 holds 1450 values: " + fine.err());

            // rewrite what version 1 holds, as kubectl replace makes the apiserver do
            workspace.etcd().putAll(values(300, "secrets", second));
            workspace.etcd().putAll(values(200, "configmaps", second));
            Run clean = audit("--require-none-under=1");
            assertEquals(0, clean.exitCode(), clean.out() + clean.err());
            assertTrue(clean.out().contains("ok: no stored value depends on key version kek/1"), clean.out());
            Map<String, Object> after = json(audit("--output=json", "--require-none-under=1"));
            assertEquals(List.of(kms("v2", "2", secondKeyId, "current", 1950)), after.get("kms"));
            assertEquals(Boolean.FALSE, ((Map<?, ?>) after.get("require_none_under")).get("refused"));
        } finally {
            plugin.destroy();
            plugin.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Object> kms(String api, String version, String keyId, String state, int count) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("provider", "kms-plugin");
        entry.put("api", api);
        entry.put("key_name", "kek");
        entry.put("key_version", version);
        entry.put("key_id", keyId);
        entry.put("state", state);
        entry.put("count", count);
        return entry;
    }

    @Test
    void values_that_cannot_be_attributed_or_parsed_are_counted_and_block_retirement() throws Exception {
        Run init = launch(new byte[0], List.of("sim", "init", "--sim-dir=" + workspace.dir().resolve("sim")));
        assertEquals(0, init.exitCode(), init.err());
        byte[] unknownVersion = CiphertextFormat.encode(new SealedDataKey(Algorithm.AES_256_GCM,
                new KeyRef("kek", "99"), ApiserverValues.random(60))).bytes();
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            entries.put(("/odd/secrets/ns/go-" + i).getBytes(StandardCharsets.UTF_8),
                    ApiserverValues.kmsV1("azurekms", ApiserverValues.goPluginCiphertext()));
        }
        for (int i = 0; i < 3; i++) {
            entries.put(("/odd/secrets/ns/bad-" + i).getBytes(StandardCharsets.UTF_8),
                    ApiserverValues.garbageAfterKmsPrefix("azurekms"));
        }
        for (int i = 0; i < 2; i++) {
            entries.put(("/odd/secrets/ns/lost-" + i).getBytes(StandardCharsets.UTF_8),
                    ApiserverValues.kmsV2("azurekms", "gone", unknownVersion));
        }
        entries.put("/oddity/secrets/ns/outside".getBytes(StandardCharsets.UTF_8), ApiserverValues.identity(10));
        workspace.etcd().putAll(entries);

        Run run = audit("--etcd-prefix=/odd", "--output=json", "--require-none-under=1");
        assertEquals(6, run.exitCode(), run.err());
        Map<String, Object> report = json(run);
        assertEquals(10, ((Number) report.get("total")).intValue(), "/oddity is not under /odd/: " + report);
        assertEquals(5, ((Number) report.get("unattributed")).intValue());
        assertEquals(3, ((Number) report.get("unreadable")).intValue());
        assertEquals(2, ((Number) report.get("unknown_version")).intValue());
        assertTrue(run.err().contains("refused: 5 KMS v1 values written by another plugin name no key version"),
                run.err());
        Run other = audit("--etcd-prefix=/odd", "--provider-name=kms-plugin", "--output=json");
        assertEquals(0, other.exitCode(), other.err());
        assertEquals(Map.of("kms:v1:azurekms", 5, "kms:v2:azurekms", 2),
                json(other).get("other_providers"), "values of providers not audited");
    }

    @Test
    void serving_loads_nothing_of_the_storage_audit_but_its_provider() throws Exception {
        Path socket = workspace.dir().resolve("classes.sock");
        Path classes = workspace.dir().resolve("classes.log");
        List<String> serve = new ArrayList<>(List.of(DISTRIBUTION.resolve("bin/kms-plugin").toString()));
        serve.addAll(simFlags());
        serve.add("--listen-addr=unix://" + socket);
        ProcessBuilder builder = new ProcessBuilder(serve).redirectErrorStream(true)
                .redirectOutput(workspace.dir().resolve("classes-serve.log").toFile());
        builder.environment().put("KMS_PLUGIN_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
        Process plugin = builder.start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && plugin.isAlive() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), Files.readString(workspace.dir().resolve("classes-serve.log")));
            Run status = launch(new byte[0], List.of("client", "status", "--listen-addr=unix://" + socket));
            assertEquals(0, status.exitCode(), status.err());
        } finally {
            plugin.destroy();
            assertTrue(plugin.waitFor(30, TimeUnit.SECONDS));
        }
        List<String> loaded = Files.readAllLines(classes).stream()
                .filter(line -> line.contains(" dev.kmsplugin.adapter.etcd."))
                .map(line -> line.replaceAll(".* (dev\\.kmsplugin\\.adapter\\.etcd\\.\\S+) .*", "$1"))
                .toList();
        assertEquals(List.of("dev.kmsplugin.adapter.etcd.audit.StorageCommandProvider"), loaded,
                "serving loads the storage plugin's provider (ServiceLoader makes it to read its flags) and nothing"
                        + " else of it");
    }

    @Test
    void etcd_problems_exit_1_or_2_with_a_message_that_says_what_to_fix() throws Exception {
        Run init = launch(new byte[0], List.of("sim", "init", "--sim-dir=" + workspace.dir().resolve("sim")));
        assertEquals(0, init.exitCode(), init.err());
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        List<String> base = new ArrayList<>(List.of("storage", "audit"));
        base.addAll(simFlags());
        EtcdProcess etcd = workspace.etcd();

        List<String> unreachable = new ArrayList<>(base);
        unreachable.addAll(List.of("--etcd-endpoints=https://127.0.0.1:" + closed, "--etcd-cacert=" + etcd.caCert(),
                "--etcd-cert=" + etcd.clientCert(), "--etcd-key=" + etcd.clientKey(), "--etcd-dial-timeout=2s"));
        Run down = launch(new byte[0], unreachable);
        assertEquals(1, down.exitCode(), down.out() + down.err());
        assertTrue(down.err().contains("127.0.0.1:" + closed), down.err());

        List<String> wrongCert = new ArrayList<>(base);
        wrongCert.addAll(List.of("--etcd-endpoints=" + etcd.endpoint(), "--etcd-cacert=" + etcd.caCert(),
                "--etcd-cert=" + etcd.untrustedClientCert(), "--etcd-key=" + etcd.untrustedClientKey()));
        Run refused = launch(new byte[0], wrongCert);
        assertEquals(2, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("TLS"), refused.err());

        List<String> missingKey = new ArrayList<>(base);
        missingKey.addAll(List.of("--etcd-endpoints=" + etcd.endpoint(), "--etcd-cacert=" + etcd.caCert(),
                "--etcd-cert=" + etcd.clientCert(), "--etcd-key=" + workspace.dir().resolve("absent.key")));
        Run absent = launch(new byte[0], missingKey);
        assertEquals(2, absent.exitCode(), absent.out() + absent.err());
        assertTrue(absent.err().contains("--etcd-key") && absent.err().contains("absent.key"), absent.err());

        List<String> badOutput = new ArrayList<>(base);
        badOutput.addAll(etcdFlags());
        badOutput.add("--output=xml");
        Run usage = launch(new byte[0], badOutput);
        assertEquals(2, usage.exitCode(), usage.err());
        assertTrue(usage.err().contains("--output 'xml' must be table or json"), usage.err());

        Run noVerb = launch(new byte[0], List.of("storage"));
        assertEquals(2, noVerb.exitCode());
        assertTrue(noVerb.err().startsWith("usage: kms-plugin storage audit"), noVerb.err());
    }
}
