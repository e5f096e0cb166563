package dev.kmsplugin.domain.failure;


/**
 * Makes text safe to print as one line of a log, a status message or a command's output: the one sanitiser
 * ({@link #oneLine}), the one rule for identifiers ({@link #identifier}) and the one escaper ({@link #appendEscaped}),
 * which the JSON form ({@link #appendJsonString}) and the log formats share.
 */
public final class Messages {

    private static final int MAX_CHARS = 1024;

    private Messages() {
    }

    /**
     * {@code text} as one printable line: line breaks and tabs become spaces, other control and non-ASCII
     * characters become {@code ?}, and anything past 1 KiB is cut with {@code ...}. {@code null} becomes empty.
     */
    public static String oneLine(String text) {
        return oneLine(text, MAX_CHARS);
    }

    /** {@link #oneLine(String)}, cut after {@code maxChars} characters. */
    public static String oneLine(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        String flat = text.replaceAll("\\s+", " ").replaceAll("[^\\x20-\\x7e]", "?").strip();
        return flat.length() > maxChars ? flat.substring(0, maxChars) + "..." : flat;
    }

    /**
     * {@code text} as an identifier that is safe as a bare log field or label value: cut after {@code maxChars}
     * characters, every character but letters, digits and {@code . _ : / -} replaced by {@code _}; {@code null} or
     * empty becomes {@code -}.
     */
    public static String identifier(String text, int maxChars) {
        if (text == null || text.isEmpty()) {
            return "-";
        }
        int length = Math.min(text.length(), maxChars);
        // Every call's uid passes here: a plain loop, and no copy at all when the text is already safe.
        for (int i = 0; i < length; i++) {
            if (!identifierCharacter(text.charAt(i))) {
                StringBuilder safe = new StringBuilder(length);
                for (int j = 0; j < length; j++) {
                    char c = text.charAt(j);
                    safe.append(identifierCharacter(c) ? c : '_');
                    if (Character.isHighSurrogate(c) && j + 1 < length
                            && Character.isLowSurrogate(text.charAt(j + 1))) {
                        j++; // one character outside the BMP is one replacement, as it is one code point
                    }
                }
                return safe.toString();
            }
        }
        return length == text.length() ? text : text.substring(0, length);
    }

    private static boolean identifierCharacter(char c) {
        return c < IDENTIFIER_ASCII.length && IDENTIFIER_ASCII[c];
    }

    /** Which ASCII characters an identifier keeps; a table, because every call's uid is checked a character at a time. */
    private static final boolean[] IDENTIFIER_ASCII = new boolean[128];

    static {
        for (char c = 0; c < IDENTIFIER_ASCII.length; c++) {
            IDENTIFIER_ASCII[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
        }
    }

    /**
     * Appends {@code text} as a JSON string literal (RFC 8259): {@link #appendEscaped} with quotes and backslashes,
     * between quotes, so the result is one line that any JSON reader and any log viewer takes as is.
     */
    public static StringBuilder appendJsonString(StringBuilder out, String text) {
        return appendEscaped(out.append('"'), text, true).append('"');
    }

    /**
     * Appends {@code text} with every control character, DEL, U+2028 and U+2029 escaped as JSON escapes it
     * (backslash-n, -r, -t, otherwise a six-character unicode escape), so it stays on one line; with
     * {@code quotesToo}, quotes and backslashes are escaped as well (a quoted value).
     */
    public static StringBuilder appendEscaped(StringBuilder out, String text, boolean quotesToo) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quotesToo && (c == '"' || c == '\\')) {
                out.append('\\').append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out;
    }
}
