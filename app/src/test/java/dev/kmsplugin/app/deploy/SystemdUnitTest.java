package dev.kmsplugin.app.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kms-plugin.service and its liveness timer: the sandboxing a root service that only needs its socket
 * directory can have (issues 13 and 16), no core dumps, a private umask, restarts of a dead or wedged plugin, and
 * {@code systemd-analyze verify} (Debian's systemd package) accepting the files as they are shipped.
 */
class SystemdUnitTest {

    private static final Path DEPLOY = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
            Path.of("").toAbsolutePath().getParent().toString())).resolve("deploy");

    /** Every assignment of the unit, the last one winning, as systemd reads them (SystemCallFilter lines kept). */
    private static Map<String, List<String>> settings(String name) throws IOException {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String joined = Files.readString(DEPLOY.resolve(name)).replace("\\\n", " ");
        for (String line : joined.split("\n")) {
            String trimmed = line.trim();
            int eq = trimmed.indexOf('=');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("[") || eq < 0) {
                continue;
            }
            settings.computeIfAbsent(trimmed.substring(0, eq), k -> new ArrayList<>()).add(trimmed.substring(eq + 1));
        }
        return settings;
    }

    @Test
    void the_unit_has_every_hardening_option_a_socket_only_root_service_allows() throws IOException {
        Map<String, List<String>> unit = settings("kms-plugin.service");
        Map<String, String> expected = new LinkedHashMap<>();
        for (String option : List.of("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices",
                "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
                "ProtectClock", "ProtectHostname", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
                "LockPersonality")) {
            expected.put(option, "true");
        }
        expected.put("ProtectSystem", "strict");
        expected.put("CapabilityBoundingSet", "");
        expected.put("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6");
        expected.put("SystemCallArchitectures", "native");
        expected.put("UMask", "0077");
        expected.put("LimitCORE", "0");
        expected.put("Restart", "always");
        expected.put("ReadWritePaths", "/var/run/kmsplugin");
        expected.forEach((option, value) -> {
            List<String> values = unit.get(option);
            assertTrue(values != null, "kms-plugin.service lacks " + option + "=" + value);
            assertEquals(value, values.get(values.size() - 1), option);
        });
        assertEquals("@system-service", unit.get("SystemCallFilter").get(0), "SystemCallFilter allow-list");
        assertTrue(unit.get("ExecStart").get(0).contains("--listen-addr=unix:///var/run/kmsplugin/kms.sock"));
    }

    @Test
    void a_wedged_plugin_is_restarted_by_the_livez_timer() throws IOException {
        Map<String, List<String>> check = settings("kms-plugin-livez.service");
        String exec = check.get("ExecStart").get(0);
        assertTrue(exec.contains("http://127.0.0.1:8787/livez") && exec.contains("systemctl restart kms-plugin.service"),
                exec);
        Map<String, List<String>> timer = settings("kms-plugin-livez.timer");
        assertEquals("30", timer.get("OnUnitActiveSec").get(0));
        assertEquals("kms-plugin.service", timer.get("WantedBy").get(0));
    }

    @Test
    void systemd_analyze_verifies_the_unit_and_the_timer(@TempDir Path dir) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assertTrue(Files.isExecutable(analyze),
                "systemd-analyze is needed to verify deploy/kms-plugin.service: apt-get install systemd");
        // verify also checks that ExecStart exists: the launcher is not installed under /opt on a build machine, so
        // the copy points at /bin/true and changes nothing else
        String unit = Files.readString(DEPLOY.resolve("kms-plugin.service"));
        assertTrue(unit.contains("ExecStart=/opt/kms-plugin/bin/kms-plugin "));
        Files.writeString(dir.resolve("kms-plugin.service"),
                unit.replace("ExecStart=/opt/kms-plugin/bin/kms-plugin ", "ExecStart=/bin/true "));
        Files.copy(DEPLOY.resolve("kms-plugin-livez.service"), dir.resolve("kms-plugin-livez.service"));
        Files.copy(DEPLOY.resolve("kms-plugin-livez.timer"), dir.resolve("kms-plugin-livez.timer"));
        Process verify = new ProcessBuilder(analyze.toString(), "verify", dir.resolve("kms-plugin.service").toString(),
                dir.resolve("kms-plugin-livez.service").toString(), dir.resolve("kms-plugin-livez.timer").toString())
                .redirectErrorStream(true).start();
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify did not finish");
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, verify.exitValue(), output);
        assertEquals("", output.trim(), "systemd-analyze verify warned");
    }
}
