package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's hardening (issue 13) and its other JVM defaults: the shipped script
 * {@code src/main/dist/bin/kms-plugin}, run beside a stand-in {@code bin/java} that reports what it was started with,
 * must hand the JVM every hardening flag, before {@code KMS_PLUGIN_JAVA_OPTS}, and run it with umask 077 and no core
 * dumps. A flag removed from the launcher fails the build here.
 */
class LauncherHardeningTest {

    private static final List<String> FLAGS = List.of("-XX:+ExitOnOutOfMemoryError", "-XX:+DisableAttachMechanism",
            "-XX:-UsePerfData", "-XX:-CreateCoredumpOnCrash");

    @Test
    void the_jvm_gets_every_hardening_flag_a_private_umask_and_no_core_dumps(@TempDir Path image) throws Exception {
        String out = launch(image, "-Xmx128m");
        assertTrue(out.contains("umask=0077"), out);
        assertTrue(out.contains("core=0\n"), out);
        List<String> args = args(out);
        int operatorOptions = args.indexOf("-Xmx128m");
        for (String flag : FLAGS) {
            assertTrue(args.contains(flag), "the launcher does not pass " + flag + ": " + args);
            assertTrue(args.indexOf(flag) < operatorOptions, flag + " must come before KMS_PLUGIN_JAVA_OPTS");
        }
        assertEquals("--version", args.get(args.size() - 1));
    }

    @Test
    void netty_leak_sampling_is_off_unless_the_operator_turns_it_back_on(@TempDir Path image) throws Exception {
        String property = "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=";
        List<String> args = args(launch(image, property + "advanced"));
        // the JVM takes the last of two values of one system property: the operator's
        assertTrue(args.indexOf(property + "disabled") >= 0, "the launcher leaves leak sampling on: " + args);
        assertTrue(args.indexOf(property + "disabled") < args.indexOf(property + "advanced"),
                "KMS_PLUGIN_JAVA_OPTS must come after the launcher's default: " + args);
    }

    @Test
    void the_jdks_pkcs11_binding_is_opened_to_the_simulator_module_alone(@TempDir Path image) throws Exception {
        List<String> args = args(launch(image, ""));
        int export = args.indexOf("--add-exports");
        assertTrue(export >= 0, "the launcher does not open the PKCS#11 binding: " + args);
        assertEquals("jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=dev.kmsplugin.adapter.softhsm",
                args.get(export + 1));
        assertEquals(export, args.lastIndexOf("--add-exports"), "one export, no other: " + args);
    }

    /** Runs the shipped launcher beside a stand-in {@code bin/java} that prints its umask, core limit and arguments. */
    private static String launch(Path image, String operatorOptions) throws Exception {
        Path bin = Files.createDirectories(image.resolve("bin"));
        Path launcher = bin.resolve("kms-plugin");
        Files.copy(Path.of("src/main/dist/bin/kms-plugin"), launcher);
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"umask=$(umask)\"\necho \"core=$(ulimit -c)\"\n"
                + "for a in \"$@\"; do echo \"arg=$a\"; done\n");
        for (Path script : List.of(launcher, java)) {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "umask 022; ulimit -S -c unlimited 2>/dev/null || true; "
                + "exec \"$0\" --version", launcher.toString()).redirectErrorStream(true);
        builder.environment().put("KMS_PLUGIN_JAVA_OPTS", operatorOptions);
        Process process = builder.start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), out);
        return out;
    }

    private static List<String> args(String out) {
        return out.lines().filter(l -> l.startsWith("arg=")).map(l -> l.substring(4)).toList();
    }
}
