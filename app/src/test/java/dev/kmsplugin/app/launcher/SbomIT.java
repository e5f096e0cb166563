package dev.kmsplugin.app.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The image's SBOM (sbom/kms-plugin.cdx.json, CycloneDX) names exactly the jars its app/ directory holds. */
class SbomIT {

    @Test
    @SuppressWarnings("unchecked")
    void the_sbom_lists_every_runtime_jar_of_the_image_and_nothing_else() throws IOException {
        Path sbom = LauncherIT.DISTRIBUTION.resolve("sbom/kms-plugin.cdx.json");
        assertTrue(Files.isRegularFile(sbom), "the image has no SBOM at " + sbom
                + " (an offline build, -o, skips the CycloneDX goal: build online)");
        Map<String, Object> bom = (Map<String, Object>) new Yaml().load(Files.readString(sbom));
        assertEquals("CycloneDX", bom.get("bomFormat"));
        Map<String, Object> metadata = (Map<String, Object>) bom.get("metadata");
        Set<String> listed = new TreeSet<>();
        Map<String, Object> self = (Map<String, Object>) metadata.get("component");
        listed.add(self.get("name") + "-" + self.get("version") + ".jar");
        for (Map<String, Object> component : (List<Map<String, Object>>) bom.get("components")) {
            listed.add(component.get("name") + "-" + component.get("version") + ".jar");
        }
        Set<String> shipped;
        try (Stream<Path> jars = Files.list(LauncherIT.DISTRIBUTION.resolve("app"))) {
            shipped = jars.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(shipped, listed, "SBOM components vs app/*.jar");
    }
}
