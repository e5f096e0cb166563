package dev.kmsplugin.app;

import dev.kmsplugin.ports.spi.Settings;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * One log line per event on standard error. Every module logs through {@link System.Logger}; the JDK routes it to
 * {@code java.util.logging}, configured here once.
 */
final class Logging {

    private Logging() {
    }

    static void configure(Settings log) {
        System.setProperty("java.util.logging.SimpleFormatter.format",
                "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Level level = level(log.integer("verbosity"));
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        handler.setLevel(level);
        root.addHandler(handler);
        root.setLevel(level);
    }

    // klog-style verbosity: 0 warnings and errors, 1-3 info, 4 and above debug.
    private static Level level(int verbosity) {
        if (verbosity <= 0) {
            return Level.WARNING;
        }
        return verbosity < 4 ? Level.INFO : Level.FINE;
    }
}
