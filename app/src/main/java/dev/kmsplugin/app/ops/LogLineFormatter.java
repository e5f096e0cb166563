package dev.kmsplugin.app.ops;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Formats one {@code java.util.logging} record (where every module's {@link System.Logger} ends up) as exactly one
 * line: a JSON object with {@code --log-format-json}, plain text otherwise.
 *
 * <p>JSON fields: {@code time} (UTC, milliseconds), {@code level} ({@code error}, {@code warn}, {@code info},
 * {@code debug}, {@code trace}), {@code logger}, {@code message}; then every {@code key=value} pair found in the
 * message (the gRPC transport writes {@code uid=... method=... code=...}) as a field of its own; then, when the
 * event carries a throwable, {@code exception} (its class) and {@code exception_message}. The stack trace is added
 * as {@code stack} only at debug verbosity: at info level an operator gets the class and message, not a wall of
 * frames.
 */
public final class LogLineFormatter extends Formatter {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    // key=value or key="quoted value" (backslash escapes allowed), preceded by start or whitespace
    private static final Pattern PAIR = Pattern.compile("(?<=^|\\s)([a-z][a-z0-9_]{0,31})=(\"((?:[^\"\\\\]|\\\\.)*)\"|[^\\s\"]+)");
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
        return json ? json(time, level, logger, message, thrown) : plain(time, level, logger, message, thrown);
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

    private String json(String time, String level, String logger, String message, Throwable thrown) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("time", time);
        fields.put("level", level);
        fields.put("logger", logger);
        fields.put("message", message);
        Matcher pair = PAIR.matcher(message);
        while (pair.find()) {
            String key = pair.group(1);
            if (!RESERVED.contains(key) && !fields.containsKey(key)) {
                String value = pair.group(3) != null ? pair.group(3).replace("\\\"", "\"").replace("\\\\", "\\")
                        : pair.group(2);
                fields.put(key, value);
            }
        }
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
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    // Plain text stays on one line too: line breaks and other control characters become visible escapes.
    private static String flatten(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
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
