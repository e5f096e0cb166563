package dev.kmsplugin.app.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.cli.CommandLine;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.ports.spi.Flag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The files operators deploy from: the static pod, the EncryptionConfigurations and the systemd unit must agree on
 * the socket, the probe port and the hardening that matters, or the apiserver cannot reach the plugin.
 */
class DeploymentManifestsTest {

    private static final Path DEPLOY = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
            Path.of("").toAbsolutePath().getParent().toString())).resolve("deploy");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String name) throws IOException {
        return (Map<String, Object>) new Yaml().load(Files.readString(DEPLOY.resolve(name)));
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            current = step instanceof Integer index ? ((List<Object>) current).get(index)
                    : ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    private static Optional<String> flag(List<String> args, String name) {
        return args.stream().filter(a -> a.startsWith("--" + name + "=")).map(a -> a.substring(name.length() + 3))
                .findFirst();
    }

    private static List<String> podArgs() throws IOException {
        return at(yaml("kms-plugin.yaml"), "spec", "containers", 0, "args");
    }

    private static String socketOf(String listenAddr) {
        assertTrue(listenAddr.startsWith("unix://"), listenAddr);
        return listenAddr.substring("unix://".length());
    }

    @Test
    void both_encryption_configurations_use_the_socket_the_pod_listens_on() throws IOException {
        String endpoint = flag(podArgs(), "listen-addr").orElseThrow();
        Map<String, Object> v2 = yaml("encryption-config-v2.yaml");
        Map<String, Object> v1 = yaml("encryption-config-v1.yaml");
        assertEquals(endpoint, at(v2, "resources", 0, "providers", 0, "kms", "endpoint"));
        assertEquals("v2", at(v2, "resources", 0, "providers", 0, "kms", "apiVersion"));
        assertEquals(endpoint, at(v1, "resources", 0, "providers", 0, "kms", "endpoint"));
        Object v1ApiVersion = at(v1, "resources", 0, "providers", 0, "kms", "apiVersion");
        assertEquals(null, v1ApiVersion, "v1 is the default apiVersion");
        for (Map<String, Object> config : List.of(v1, v2)) {
            assertEquals("EncryptionConfiguration", config.get("kind"));
            assertEquals(List.of("secrets"), at(config, "resources", 0, "resources"));
            String timeout = at(config, "resources", 0, "providers", 0, "kms", "timeout");
            assertEquals("3s", timeout);
        }
    }

    @Test
    void the_socket_directory_is_a_host_path_mounted_into_the_pod() throws IOException {
        Map<String, Object> pod = yaml("kms-plugin.yaml");
        Path socketDir = Path.of(socketOf(flag(podArgs(), "listen-addr").orElseThrow())).getParent();
        List<Map<String, Object>> mounts = at(pod, "spec", "containers", 0, "volumeMounts");
        Map<String, Object> mount = mounts.stream().filter(m -> socketDir.toString().equals(m.get("mountPath")))
                .findFirst().orElseThrow(() -> new AssertionError("no volume mounted at " + socketDir));
        List<Map<String, Object>> volumes = at(pod, "spec", "volumes");
        Map<String, Object> volume = volumes.stream().filter(v -> mount.get("name").equals(v.get("name")))
                .findFirst().orElseThrow();
        assertEquals(socketDir.toString(), at(volume, "hostPath", "path"));
        assertFalse(Boolean.TRUE.equals(mount.get("readOnly")), "the plugin creates the socket there");
    }

    @Test
    void probes_target_the_loopback_health_port_the_plugin_is_told_to_use() throws IOException {
        Map<String, Object> container = at(yaml("kms-plugin.yaml"), "spec", "containers", 0);
        int port = Integer.parseInt(flag(podArgs(), "healthz-port").orElseThrow());
        assertEquals("127.0.0.1", flag(podArgs(), "healthz-addr").orElseThrow());
        assertEquals("/livez", at(container, "livenessProbe", "httpGet", "path"));
        assertEquals("/readyz", at(container, "readinessProbe", "httpGet", "path"));
        for (String probe : List.of("livenessProbe", "readinessProbe")) {
            assertEquals(port, (int) at(container, probe, "httpGet", "port"), probe);
            assertEquals("127.0.0.1", at(container, probe, "httpGet", "host"), probe);
        }
        int livenessTimeout = at(container, "livenessProbe", "timeoutSeconds");
        assertTrue(livenessTimeout > 20, "liveness must outlast the plugin's own --healthz-timeout (20s)");
    }

    @Test
    void the_pod_is_critical_on_the_host_network_with_a_read_only_root_and_no_capabilities() throws IOException {
        Map<String, Object> pod = yaml("kms-plugin.yaml");
        assertEquals("kube-system", at(pod, "metadata", "namespace"));
        assertEquals("system-node-critical", at(pod, "spec", "priorityClassName"));
        assertEquals(true, at(pod, "spec", "hostNetwork"));
        Map<String, Object> security = at(pod, "spec", "containers", 0, "securityContext");
        assertEquals(true, security.get("readOnlyRootFilesystem"));
        assertEquals(false, security.get("allowPrivilegeEscalation"));
        assertEquals(List.of("ALL"), at(security, "capabilities", "drop"));
        assertTrue(at(pod, "spec", "containers", 0, "resources", "requests", "memory") != null);
        assertTrue(at(pod, "spec", "containers", 0, "resources", "limits", "memory") != null);
        Object cpuLimit = at(pod, "spec", "containers", 0, "resources", "limits", "cpu");
        assertEquals(null, cpuLimit, "a CPU limit throttles the start-up the apiserver waits for");
    }

    @Test
    void every_flag_the_deployment_files_pass_is_one_the_launcher_accepts() throws IOException {
        List<Flag> flags = new ArrayList<>(AppFlags.all());
        flags.addAll(Plugins.discover().flags());
        CommandLine pod = CommandLine.parse(podArgs().toArray(String[]::new), flags);
        assertEquals("keyvault", pod.values().get("kms.backend"));
        assertTrue(pod.words().isEmpty(), "the pod serves: " + pod.words());
        CommandLine unit = CommandLine.parse(systemdArgs().toArray(String[]::new), flags);
        assertEquals(pod.values(), unit.values(), "the static pod and the systemd unit configure the plugin alike");
    }

    private static List<String> systemdArgs() throws IOException {
        String unit = Files.readString(DEPLOY.resolve("kms-plugin.service"));
        String execStart = unit.lines().dropWhile(l -> !l.startsWith("ExecStart="))
                .takeWhile(l -> !l.isBlank() && !l.startsWith("Environment"))
                .map(l -> l.replace("\\", "").trim()).collect(Collectors.joining(" "));
        List<String> words = Arrays.asList(execStart.substring("ExecStart=".length()).split("\\s+"));
        return words.subList(1, words.size());
    }

    @Test
    void the_systemd_unit_serves_the_same_socket_and_health_port() throws IOException {
        String unit = Files.readString(DEPLOY.resolve("kms-plugin.service"));
        String execStart = unit.lines().dropWhile(l -> !l.startsWith("ExecStart="))
                .takeWhile(l -> !l.isBlank() && !l.startsWith("Environment"))
                .map(l -> l.replace("\\", "").trim()).collect(Collectors.joining(" "));
        List<String> args = Arrays.asList(execStart.substring("ExecStart=".length()).split("\\s+"));
        assertEquals(flag(podArgs(), "listen-addr"), flag(args, "listen-addr"));
        assertEquals(flag(podArgs(), "healthz-port"), flag(args, "healthz-port"));
        assertTrue(unit.contains("KillSignal=SIGTERM"));
        assertTrue(unit.contains("RuntimeDirectoryMode=0700"), "the socket directory is private");
    }
}
