package dev.kmsplugin.domain.failure;

/** Makes text safe to print as one line of a log, a status message or a command's output. */
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
     * Appends {@code text} as a JSON string literal (RFC 8259): quotes, backslashes, every control character, DEL,
     * U+2028 and U+2029 escaped, so the result is one line that any JSON reader and any log viewer takes as is.
     */
    public static StringBuilder appendJsonString(StringBuilder out, String text) {
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
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
