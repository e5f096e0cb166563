package dev.kmsplugin.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Synopsis;
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
        Map<String, String> defaults = Configuration.defaults(flags);
        List<String> examples = flags.stream().filter(flag -> {
            String value = defaults.get(flag.path());
            return value != null && value.length() > 1 && flag.help().contains("e.g. " + value);
        }).map(flag -> "--" + flag.name() + ": " + flag.help()).toList();
        assertEquals(List.of(), examples, "an example equal to the default repeats it; pick another value");
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

    @Test
    void every_command_usage_is_rendered_from_declared_flags_and_repeats_no_default() {
        Map<String, String> defaults = Configuration.defaults(flags);
        for (var owned : plugins.commands()) {
            Command command = owned.command();
            for (Synopsis.Form form : command.synopsis().forms()) {
                String word = form.words().split("[| ]")[0];
                String help = Usage.command(command, List.of(word), flags, defaults);
                String usage = help.substring(0, help.indexOf("\n\n"));
                assertTrue(usage.startsWith("usage: kms-plugin " + command.name() + " " + form.words()), usage);
                for (String name : form.required()) {
                    assertTrue(usage.contains(" --" + name), usage);
                    assertTrue(help.contains("\n  --" + name + " "), "--" + name + " not described:\n" + help);
                }
                for (String name : form.optional()) {
                    assertTrue(usage.contains("[--" + name), usage);
                    assertTrue(help.contains("\n  --" + name), "--" + name + " not described:\n" + help);
                }
                for (Flag flag : flags) {
                    String value = defaults.get(flag.path());
                    assertTrue(value == null || !usage.contains("--" + flag.name() + "=" + value),
                            "usage repeats the default of --" + flag.name() + ": " + usage);
                }
            }
        }
    }

    @Test
    void a_usage_that_names_an_undeclared_flag_fails_loudly() {
        Synopsis synopsis = new Synopsis("demo", List.of(new Synopsis.Form("go", List.of("no-such-flag"),
                List.of(), "")));
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> synopsis.render(java.util.Optional.of("go"), name -> flags.stream()
                        .filter(flag -> flag.name().equals(name)).findFirst()));
        assertTrue(error.getMessage().contains("--no-such-flag"), error.getMessage());
    }
}
