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
}
