package dev.kmsplugin.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Flag;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --help} says what reference.conf says: each default is written once, in the plugin's reference.conf. */
class UsageTest {

    private final Plugins plugins = Plugins.discover();
    private final List<Flag> flags = allFlags();

    private List<Flag> allFlags() {
        List<Flag> all = new ArrayList<>(AppFlags.all());
        all.addAll(plugins.flags());
        return all;
    }

    @Test
    void no_flag_help_repeats_a_default() {
        List<String> repeated = flags.stream().filter(flag -> flag.help().contains("(default"))
                .map(flag -> "--" + flag.name() + ": " + flag.help()).toList();
        assertEquals(List.of(), repeated, "defaults belong in reference.conf only; --help renders them from there");
    }

    @Test
    void help_shows_each_flag_with_the_default_of_the_merged_reference_conf() {
        Map<String, String> defaults = Configuration.defaults(flags);
        assertTrue(defaults.size() >= 30, "suspiciously few defaults: " + defaults);
        assertEquals("127.0.0.1:8095", defaults.get("kms.metrics.address"));
        assertEquals("/etc/kubernetes/azure.json", defaults.get("kms.keyvault.config-file-path"));
        String help = Usage.text(plugins, flags, defaults);
        for (Flag flag : flags) {
            String value = defaults.get(flag.path());
            if (value == null) {
                continue;
            }
            assertTrue(help.lines().anyMatch(line -> line.startsWith("  --" + flag.name() + " ")
                            && line.endsWith("(default " + value + ")")),
                    "--" + flag.name() + " is not shown with its default " + value + ":\n" + help);
        }
    }

    @Test
    void help_lists_every_exit_code_once() {
        String help = Usage.text(plugins, flags, Map.of());
        for (ExitCode exit : ExitCode.values()) {
            assertEquals(1, help.lines().filter(line -> line.equals("  " + exit.code() + "  " + exit.meaning()))
                    .count(), help);
        }
    }
}
