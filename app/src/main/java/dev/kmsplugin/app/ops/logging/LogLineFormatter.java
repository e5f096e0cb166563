package dev.kmsplugin.app.ops.logging;

import dev.kmsplugin.domain.failure.Messages;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/**
 * Formats one {@code java.util.logging} record (where every module's {@link System.Logger} ends up) as exactly one
 * line: a JSON object with {@code --log-format-json}, plain text otherwise.
 *
 * <p>JSON fields: {@code time} (UTC, milliseconds), {@code level} ({@code error}, {@code warn}, {@code info},
 * {@code debug}, {@code trace}), {@code logger}, {@code message}; then, when the event's only parameter is a
 * {@code Map<String, String>} (the gRPC transport logs each call's outcome that way: uid, method, code, micros,
 * detail), each entry as a field of its own. Fields come only from such a map, never from parsing the text, so a
 * caller-supplied string inside a message can never become a field. Then, when the
 * event carries a throwable, {@code exception} (its class) and {@code exception_message}. The stack trace is added
 * as {@code stack} only at debug verbosity: at info level an operator gets the class and message, not a wall of
 * frames.
 */
public final class LogLineFormatter extends Formatter {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Pattern FIELD_NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    private static final Set<String> RESERVED = Set.of("time", "level", "logger", "message",
            "exception", "exception_message", "stack", "thread");

    private final boolean json;
    private final boolean stackTraces;

    /**
     * @param json        one JSON object per line instead of plain text
     * @param stackTraces include the stack trace of a logged throwable (debug verbosity)
     */
    public LogLineFormatter(boolean json, boolean stackTraces) {
        this.json = json;
        this.stackTraces = stackTraces;
    }

    @Override
    public String format(LogRecord record) {
        String time = TIME.format(Instant.ofEpochMilli(record.getMillis()));
        String level = level(record.getLevel());
        String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
        String message = formatMessage(record);
        if (message == null) {
            message = "";
        }
        Throwable thrown = record.getThrown();
        Object[] parameters = record.getParameters();
        if (thrown == null && parameters != null && parameters.length == 2
                && parameters[1] instanceof Throwable trailing) {
            thrown = trailing; // a structured event with its exception (System.Logger cannot pass both otherwise)
        }
        return json ? json(time, level, logger, message, structured(record), thrown)
                : plain(time, level, logger, message, thrown);
    }

    private String plain(String time, String level, String logger, String message, Throwable thrown) {
        StringBuilder line = new StringBuilder(128);
        line.append(time).append(' ').append(level.toUpperCase(Locale.ROOT)).append(' ')
                .append(logger).append(": ").append(flatten(message));
        if (thrown != null) {
            line.append(" exception=").append(thrown.getClass().getName());
            if (thrown.getMessage() != null) {
                line.append(" exception_message=\"").append(flatten(thrown.getMessage()).replace("\"", "\\\""))
                        .append('"');
            }
            if (stackTraces) {
                line.append(" stack=\"").append(flatten(stack(thrown)).replace("\"", "\\\"")).append('"');
            }
        }
        return line.append('\n').toString();
    }

    /**
     * The fields an event carries as its first parameter, a map of names to values (alone, or followed by the
     * event's exception); empty otherwise.
     */
    private static Map<String, String> structured(LogRecord record) {
        Object[] parameters = record.getParameters();
        if (parameters == null || parameters.length == 0 || parameters.length > 2
                || !(parameters[0] instanceof Map<?, ?> map)) {
            return Map.of();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        map.forEach((key, value) -> {
            String name = String.valueOf(key);
            if (FIELD_NAME.matcher(name).matches()) {
                fields.put(name, String.valueOf(value));
            }
        });
        return fields;
    }

    private String json(String time, String level, String logger, String message, Map<String, String> structured,
            Throwable thrown) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("time", time);
        fields.put("level", level);
        fields.put("logger", logger);
        fields.put("message", message);
        structured.forEach((key, value) -> {
            if (!RESERVED.contains(key)) {
                fields.putIfAbsent(key, value);
            }
        });
        if (thrown != null) {
            fields.put("exception", thrown.getClass().getName());
            if (thrown.getMessage() != null) {
                fields.put("exception_message", thrown.getMessage());
            }
            if (stackTraces) {
                fields.put("stack", stack(thrown));
            }
        }
        StringBuilder line = new StringBuilder(256).append('{');
        boolean first = true;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            if (!first) {
                line.append(',');
            }
            first = false;
            quote(line, field.getKey()).append(':');
            quote(line, field.getValue());
        }
        return line.append("}\n").toString();
    }

    /** Appends {@code text} as a JSON string: quotes, backslashes and every control character escaped. */
    static StringBuilder quote(StringBuilder out, String text) {
        return Messages.appendJsonString(out, text);
    }

    // Plain text stays on one line too: line breaks and other control characters become visible escapes.
    private static String flatten(String text) {
        return Messages.appendEscaped(new StringBuilder(text.length()), text, false).toString();
    }

    private static String stack(Throwable thrown) {
        StringWriter text = new StringWriter();
        thrown.printStackTrace(new PrintWriter(text));
        return text.toString().stripTrailing();
    }


    /** System.Logger levels as java.util.logging receives them: ERROR=SEVERE, WARNING, INFO, DEBUG=FINE, TRACE=FINER. */
    static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "error";
        }
        if (value >= Level.WARNING.intValue()) {
            return "warn";
        }
        if (value >= Level.INFO.intValue()) {
            return "info";
        }
        if (value >= Level.FINE.intValue()) {
            return "debug";
        }
        return "trace";
    }
}
