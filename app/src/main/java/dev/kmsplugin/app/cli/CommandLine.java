package dev.kmsplugin.app.cli;

import dev.kmsplugin.ports.spi.Flag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed command line: flag values keyed by configuration path, and the remaining words (a command and its
 * arguments). Flags follow Go's {@code flag} package, which the Go plugin's manifests were written for: one or two
 * dashes, {@code -name=value} or {@code -name value}, booleans alone or as {@code -name=false}. A lone {@code --}
 * ends the flags.
 */
public record CommandLine(Map<String, String> values, List<String> words, boolean help, boolean version) {

    public CommandLine {
        values = Map.copyOf(values);
        words = List.copyOf(words);
    }

    /** Parses {@code args} against {@code flags}; fails with {@link UsageException} on anything it cannot place. */
    public static CommandLine parse(String[] args, List<Flag> flags) {
        // A flag several plugins declare (e.g. --dry-run of both backends' retire commands) sets each one's path.
        Map<String, Flag> byName = new LinkedHashMap<>();
        Map<String, List<String>> paths = new LinkedHashMap<>();
        for (Flag flag : flags) {
            Flag first = byName.putIfAbsent(flag.name(), flag);
            if (first != null && first.kind() != flag.kind()) {
                throw new IllegalStateException("flag --" + flag.name() + " is declared as " + first.kind()
                        + " and as " + flag.kind() + "; plugins that share a flag must agree on its kind");
            }
            List<String> forName = paths.computeIfAbsent(flag.name(), n -> new ArrayList<>());
            if (!forName.contains(flag.path())) {
                forName.add(flag.path());
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> words = new ArrayList<>();
        boolean help = false;
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                words.addAll(List.of(args).subList(i + 1, args.length));
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                words.add(arg);
                continue;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int equals = body.indexOf('=');
            String name = equals < 0 ? body : body.substring(0, equals);
            Optional<String> inline = equals < 0 ? Optional.empty() : Optional.of(body.substring(equals + 1));
            if (name.equals("help") || name.equals("h")) {
                help = true;
                continue;
            }
            if (name.equals("version") && byName.get(name) == null) {
                version = inline.map(CommandLine::parseBoolean).orElse(true);
                continue;
            }
            Flag flag = byName.get(name);
            if (flag == null) {
                throw new UsageException("unknown flag " + arg.replaceAll("=.*", ""));
            }
            String raw;
            if (inline.isPresent()) {
                raw = inline.get();
            } else if (flag.kind() == Flag.Kind.BOOLEAN) {
                raw = "true";
            } else if (i + 1 < args.length) {
                raw = args[++i];
            } else {
                throw new UsageException("flag --" + name + " needs a value");
            }
            String value = convert(flag, raw);
            paths.get(name).forEach(path -> values.put(path, value));
        }
        return new CommandLine(values, words, help, version);
    }

    private static String convert(Flag flag, String raw) {
        return switch (flag.kind()) {
            case STRING -> raw;
            case BOOLEAN -> Boolean.toString(parseBoolean(raw, flag));
            case INT -> {
                try {
                    yield Integer.toString(Integer.parseInt(raw.trim()));
                } catch (NumberFormatException e) {
                    throw new UsageException("flag --" + flag.name() + " takes a whole number, not '" + raw + "'");
                }
            }
            case DURATION -> GoDuration.toHocon(raw).orElseThrow(() -> new UsageException("flag --" + flag.name()
                    + " takes a duration such as 20s, 1m30s or 500ms, not '" + raw + "'"));
        };
    }

    private static boolean parseBoolean(String raw) {
        return parseBoolean(raw, null);
    }

    private static boolean parseBoolean(String raw, Flag flag) {
        // Go's strconv.ParseBool spellings
        switch (raw.toLowerCase(Locale.ROOT)) {
            case "1", "t", "true":
                return true;
            case "0", "f", "false":
                return false;
            default:
                throw new UsageException("flag --" + (flag == null ? "version" : flag.name())
                        + " takes true or false, not '" + raw + "'");
        }
    }

    /** The command line cannot be understood; the message says why. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
