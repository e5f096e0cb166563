package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module system, not only ArchUnit, stops boundary violations: a class added to one of the shipped modules
 * (javac's --patch-module against the distribution's module path) cannot even compile when it reaches across a
 * boundary the module descriptors forbid.
 */
class ModuleGraphIT {

    private static final Path LIB = LauncherIT.DISTRIBUTION.resolve("app");

    @TempDir
    Path dir;

    private record Compilation(int exitCode, String diagnostics) {
    }

    private Compilation compileInto(String module, String packageName, String body)
            throws IOException, InterruptedException {
        Path sources = dir.resolve("src-" + module);
        Path file = sources.resolve(packageName.replace('.', '/')).resolve("Probe.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "package " + packageName + ";\n" + body);
        // javac of the JDK running the tests, as a separate process like the build's own compiler
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        Process process = new ProcessBuilder(javac.toString(),
                "--module-path", LIB.toString(),
                "--patch-module", module + "=" + sources,
                "-d", dir.resolve("out-" + module).toString(),
                file.toString())
                .redirectErrorStream(true).start();
        String diagnostics = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "javac did not finish");
        return new Compilation(process.exitValue(), diagnostics);
    }

    private static void assertRefused(Compilation compilation, String packageName, String module) {
        assertEquals(1, compilation.exitCode(), "javac accepted a boundary violation:\n" + compilation.diagnostics());
        assertTrue(compilation.diagnostics().contains("package " + packageName + " is not visible"),
                compilation.diagnostics());
        assertTrue(compilation.diagnostics().contains("module " + module + " does not read it"),
                compilation.diagnostics());
    }

    @Test
    void a_lawful_class_compiles_so_the_probe_itself_works() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.domain", "dev.kmsplugin.domain.probe",
                "public class Probe { java.util.List<dev.kmsplugin.domain.key.KeyRef> keys; }");
        assertEquals(0, compilation.exitCode(), compilation.diagnostics());
    }

    @Test
    void the_domain_cannot_import_a_library() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.domain", "dev.kmsplugin.domain.probe",
                "import com.typesafe.config.ConfigFactory;\npublic class Probe { Object o = ConfigFactory.empty(); }");
        assertRefused(compilation, "com.typesafe.config", "dev.kmsplugin.domain");
    }

    @Test
    void the_ports_cannot_import_an_adapter() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.ports", "dev.kmsplugin.ports.probe",
                "import dev.kmsplugin.adapter.grpc.GrpcTransportProvider;\n"
                        + "public class Probe { Object o = new GrpcTransportProvider(); }");
        assertRefused(compilation, "dev.kmsplugin.adapter.grpc", "dev.kmsplugin.ports");
    }

    @Test
    void an_adapter_cannot_import_another_adapter() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.adapter.keyvault", "dev.kmsplugin.adapter.keyvault.probe",
                "import dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider;\n"
                        + "public class Probe { Object o = new SoftHsmBackendProvider(); }");
        assertRefused(compilation, "dev.kmsplugin.adapter.softhsm", "dev.kmsplugin.adapter.keyvault");
    }

    @Test
    void the_composition_root_cannot_name_an_adapter_class() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.app", "dev.kmsplugin.app.probe",
                "import dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider;\n"
                        + "public class Probe { Object o = new SoftHsmBackendProvider(); }");
        assertRefused(compilation, "dev.kmsplugin.adapter.softhsm", "dev.kmsplugin.app");
    }

    @Test
    void the_domain_cannot_import_the_wire_library() throws Exception {
        Compilation compilation = compileInto("dev.kmsplugin.domain", "dev.kmsplugin.domain.probe",
                "import io.grpc.Status;\npublic class Probe { Object o = Status.OK; }");
        assertRefused(compilation, "io.grpc", "dev.kmsplugin.domain");
    }
}
