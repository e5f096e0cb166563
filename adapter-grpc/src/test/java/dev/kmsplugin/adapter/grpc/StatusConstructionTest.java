package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** In adapter-grpc's main code only KmsStatusMapping makes a gRPC Status: one place decides every answer code. */
class StatusConstructionTest {

    // Status.OK, Status.INVALID_ARGUMENT, Status.fromCode(...), Status.fromThrowable(...), io.grpc.Status.X ...
    // but not Status.Code, which names a code without making a status.
    private static final Pattern MAKES_STATUS = Pattern.compile("\\bStatus\\s*\\.\\s*(?!Code\\b)[A-Za-z_]+");
    private static final Path MAIN = Path.of("src/main/java");

    @Test
    void only_the_status_mapping_constructs_grpc_status_values() throws IOException {
        List<String> offenders = new ArrayList<>();
        int files;
        try (Stream<Path> sources = Files.walk(MAIN)) {
            List<Path> java = sources.filter(p -> p.toString().endsWith(".java")).toList();
            files = java.size();
            for (Path source : java) {
                if (source.getFileName().toString().equals("KmsStatusMapping.java")) {
                    assertTrue(MAKES_STATUS.matcher(Files.readString(source)).find(), "the mapping makes statuses");
                    continue;
                }
                String[] lines = Files.readString(source).split("\n");
                for (int i = 0; i < lines.length; i++) {
                    String line = lines[i].trim();
                    if (line.startsWith("import ") || line.startsWith("*") || line.startsWith("//")) {
                        continue;
                    }
                    Matcher hit = MAKES_STATUS.matcher(line);
                    if (hit.find()) {
                        offenders.add(MAIN.relativize(source) + ":" + (i + 1) + ": " + hit.group());
                    }
                }
            }
        }
        assertTrue(files > 20, "scanned the main sources (" + files + " files)");
        assertEquals(List.of(), offenders);
    }

    @Test
    void the_scan_would_see_a_status_made_elsewhere() {
        assertTrue(MAKES_STATUS.matcher("call.close(Status.UNAVAILABLE.withDescription(x), m)").find());
        assertTrue(MAKES_STATUS.matcher("return io.grpc.Status.fromThrowable(e);").find());
        assertTrue(!MAKES_STATUS.matcher("if (code == Status.Code.UNAVAILABLE)").find());
    }
}
