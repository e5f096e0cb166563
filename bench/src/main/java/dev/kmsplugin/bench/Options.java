package dev.kmsplugin.bench;

import java.nio.file.Path;
import java.time.Duration;

/** The harness's command line: Go-flag style like the plugin's ({@code --x=value} or {@code --x value}). */
record Options(int callers, Duration duration, Duration warmup, Duration soak, int rounds, Path launcher, Path workDir,
        boolean profile, String pluginJavaOptions, String minimalJavaOptions, boolean help) {

    static final String USAGE = """
            usage: bench/run [--callers=N] [--duration=D] [--warmup=D] [--rounds=N] [--soak=D] [--profile] [--launcher=PATH]
                             [--work-dir=DIR] [--plugin-java-opts='OPTIONS'] [--minimal-java-opts='OPTIONS']
              --callers   concurrent callers, each with its next call as soon as the last answered (default 16)
              --duration  measured time per scenario (default 10s)
              --warmup    unmeasured calls before each scenario (default 2s)
              --rounds    back-to-back rounds of the four targets' round trips, half --duration each (default 3)
              --soak      v2 round trips against the plugin while its RSS is sampled; 0s skips it (default 60s)
              --profile   record the plugin with JFR and print its top frames
              --launcher  the packaged plugin (default app/target/kms-plugin/bin/kms-plugin)
              --work-dir  sockets, simulator tokens, plugin log and recording (default bench/target/run)
              --plugin-java-opts  JVM options added after the launcher's defaults (KMS_PLUGIN_JAVA_OPTS), to
                          measure another JIT or heap setting against the same floors
              --minimal-java-opts JVM options of the minimal plugin (default: the JDK's), e.g. the plugin's own
                          launcher flags, to compare on the same JIT and heap
            durations: 500ms, 10s, 2m""";

    /**
     * The options of {@code args}, or null after printing the usage ({@code --help}); a bad flag prints the error and
     * the usage and exits 2.
     */
    static Options parseOrExit(String[] args, String program) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(program + ": " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return null;
        }
        if (options.help()) {
            System.out.println(USAGE);
            return null;
        }
        return options;
    }

    static Options parse(String[] args) {
        int callers = 16;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(2);
        Duration soak = Duration.ofSeconds(60);
        int rounds = 3;
        Path launcher = Path.of("app/target/kms-plugin/bin/kms-plugin");
        Path workDir = Path.of("bench/target/run");
        boolean profile = false;
        String pluginJavaOptions = "";
        String minimalJavaOptions = "";
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i].replaceFirst("^--?", "");
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            boolean flag = name.equals("profile") || name.equals("help") || name.equals("h");
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1)
                    : flag ? "true" : i + 1 < args.length ? args[++i] : null;
            if (value == null) {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
            switch (name) {
                case "callers" -> callers = positive(name, Integer.parseInt(value));
                case "duration" -> duration = duration(name, value, false);
                case "warmup" -> warmup = duration(name, value, true);
                case "soak" -> soak = duration(name, value, true);
                case "rounds" -> rounds = Integer.parseInt(value);
                case "launcher" -> launcher = Path.of(value);
                case "work-dir" -> workDir = Path.of(value);
                case "profile" -> profile = Boolean.parseBoolean(value);
                case "plugin-java-opts" -> pluginJavaOptions = value.trim();
                case "minimal-java-opts" -> minimalJavaOptions = value.trim();
                case "help", "h" -> help = true;
                default -> throw new IllegalArgumentException("unknown flag --" + name);
            }
        }
        if (rounds < 0) {
            throw new IllegalArgumentException("--rounds must be 0 or more");
        }
        return new Options(callers, duration, warmup, soak, rounds, launcher.toAbsolutePath(), workDir.toAbsolutePath(),
                profile, pluginJavaOptions, minimalJavaOptions, help);
    }

    private static int positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("--" + name + " must be at least 1");
        }
        return value;
    }

    private static Duration duration(String name, String value, boolean zeroAllowed) {
        Duration parsed;
        try {
            if (value.endsWith("ms")) {
                parsed = Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            } else if (value.endsWith("s")) {
                parsed = Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
            } else if (value.endsWith("m")) {
                parsed = Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            } else {
                throw new IllegalArgumentException("--" + name + "=" + value + " is not a duration such as 10s");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + "=" + value + " is not a duration such as 10s");
        }
        if (parsed.isNegative() || (!zeroAllowed && parsed.isZero())) {
            throw new IllegalArgumentException("--" + name + " must be positive");
        }
        return parsed;
    }
}
