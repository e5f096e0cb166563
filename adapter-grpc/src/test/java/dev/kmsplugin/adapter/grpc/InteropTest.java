package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An independent gRPC implementation (grpc-js, pure JavaScript) generated at run time from the same .proto files
 * passes round trips on both APIs and gets clean errors for hostile input. The test fails, never skips, when node
 * or the client's packages are missing: install them with {@code npm ci --prefix adapter-grpc/src/test/interop}.
 */
class InteropTest {

    private static final Path INTEROP = Path.of("src/test/interop").toAbsolutePath();
    private static final Path PROTOS = Path.of("src/main/proto").toAbsolutePath();

    @Test
    void a_grpc_js_client_built_from_the_same_protos_round_trips_and_gets_clean_errors() throws Exception {
        assertTrue(Files.isDirectory(INTEROP.resolve("node_modules/@grpc/grpc-js")),
                "the interop client's packages are missing; run: npm ci --prefix adapter-grpc/src/test/interop");
        try (RunningPlugin plugin = RunningPlugin.start()) {
            Process node;
            try {
                node = new ProcessBuilder("node", "interop.js", plugin.socket.toString(), PROTOS.toString())
                        .directory(INTEROP.toFile()).redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                throw new AssertionError("node is not installed (Node.js 18+ is needed for the interop client)", e);
            }
            assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the interop client did not finish within 60 s");
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, node.exitValue(), output);
            assertTrue(output.matches("(?s).*all \\d+ checks passed.*"), output);
        }
    }
}
