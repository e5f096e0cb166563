package dev.kmsplugin.app;

import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Flag;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The text of {@code kms-plugin --help}, built from what is installed. */
final class Usage {

    private Usage() {
    }

    static String text(Plugins plugins, List<Flag> flags, Map<String, String> defaults) {
        StringBuilder text = new StringBuilder();
        text.append("kms-plugin: Kubernetes KMS plugin (v1beta1 and v2) for Azure Key Vault, Managed HSM and a"
                + " local SoftHSM2 simulator\n\n");
        text.append("Usage:\n");
        text.append("  kms-plugin [serve] [flags]        serve KMS on the listen address (default)\n");
        plugins.commands().forEach(owned -> text.append(String.format("  kms-plugin %-22s %s%n",
                owned.command().name() + " ...", owned.command().summary())));
        text.append("  kms-plugin --version              print version information as JSON\n");
        text.append("  kms-plugin --help                 print this help\n\n");
        text.append("Backends (--backend):\n");
        plugins.backends().forEach(b -> text.append(String.format("  %-12s %s%n", b.name(), b.summary())));
        text.append("\nFlags (one or two dashes; --name=value or --name value):\n");
        Set<String> seen = new LinkedHashSet<>();
        for (Flag flag : flags) {
            if (seen.add(flag.name())) {
                describe(text, flag, defaults);
            }
        }
        text.append("\nEvery flag sets a configuration path; a settings file (--config) and CONFIG_FORCE_* environment"
                + " variables can set the same paths. Precedence: flags, environment, file, defaults.\n");
        text.append("\nExit codes (every command):\n").append(ExitCode.table());
        return text.toString();
    }

    /** The text of {@code kms-plugin COMMAND [WORD] --help}: the command's usage and the flags it reads. */
    static String command(Command command, List<String> arguments, List<Flag> flags,
                          Map<String, String> defaults) {
        Optional<String> word = arguments.stream().findFirst();
        StringBuilder text = new StringBuilder(command.synopsis().render(word, name -> declared(flags, name)))
                .append("\n");
        List<String> names = command.synopsis().flagNames(word);
        if (!names.isEmpty()) {
            text.append("\nFlags:\n");
            for (String name : names) {
                declared(flags, name).ifPresent(flag -> describe(text, flag, defaults));
            }
        }
        text.append("\nAlso: --config FILE, --v N, --log-format-json; 'kms-plugin --help' lists every flag.\n");
        text.append("\nExit codes:\n").append(ExitCode.table());
        return text.toString();
    }

    private static Optional<Flag> declared(List<Flag> flags, String name) {
        return flags.stream().filter(flag -> flag.name().equals(name)).findFirst();
    }

    /** One flag's line: name, kind, help, and its default from the merged reference.conf (never from the help). */
    private static void describe(StringBuilder text, Flag flag, Map<String, String> defaults) {
        String value = switch (flag.kind()) {
            case STRING -> " string";
            case INT -> " int";
            case DURATION -> " duration";
            case BOOLEAN -> "";
        };
        String fallback = defaults.get(flag.path());
        text.append(String.format("  --%-28s %s%s%n", flag.name() + value, flag.help(),
                fallback == null ? "" : " (default " + fallback + ")"));
    }
}
