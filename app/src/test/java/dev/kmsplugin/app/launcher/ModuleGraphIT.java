package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

    /**
     * Each row: the module the probe is compiled into, the class from across the boundary it imports, and an
     * expression that uses it; javac must refuse the import because the module does not read that package.
     */
    @ParameterizedTest(name = "{0} cannot use {1}")
    @CsvSource(delimiter = '|', textBlock = """
            dev.kmsplugin.domain           | com.typesafe.config.ConfigFactory                    | ConfigFactory.empty()
            dev.kmsplugin.ports            | dev.kmsplugin.adapter.grpc.GrpcTransportProvider     | new GrpcTransportProvider()
            dev.kmsplugin.adapter.keyvault | dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider | new SoftHsmBackendProvider()
            dev.kmsplugin.app              | dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider | new SoftHsmBackendProvider()
            dev.kmsplugin.domain           | io.grpc.Status                                       | Status.OK
            """)
    void a_module_cannot_import_across_a_boundary(String module, String importedClass, String use) throws Exception {
        Compilation compilation = compileInto(module, module + ".probe",
                "import " + importedClass + ";\npublic class Probe { Object o = " + use + "; }");
        assertRefused(compilation, importedClass.substring(0, importedClass.lastIndexOf('.')), module);
    }
}
