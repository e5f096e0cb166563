package dev.kmsplugin.app.ops.http;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The request line and headers of an HTTP/1.x request, read strictly: it is a security boundary, so anything a
 * lenient reader would have to guess at is refused. Lines end in CRLF (a bare CR or LF is refused), no NUL or other
 * control characters, no obs-fold continuation lines, a request-target in origin form ({@code /path?query}), and no
 * body: {@code Transfer-Encoding} or a {@code Content-Length} above 0 is refused.
 */
sealed interface RequestHead {

    /** A request the server can route. */
    record Request(String method, String path) implements RequestHead {
    }

    /** A request refused with {@code status} for {@code reason} (our words, never the request's bytes). */
    record Refused(int status, String reason) implements RequestHead {
    }

    Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    Pattern TARGET = Pattern.compile("/[\\x21-\\x22\\x24-\\x7e]*"); // visible ASCII without '#'

    /**
     * Scans {@code data[from, length)} for bytes that may never appear and for the blank line that ends the head.
     *
     * @return the index just past the head's final CRLF CRLF; -1 when more bytes are needed; -2 for a NUL, a bare CR
     *         or a bare LF (a bare CR at the very end is judged when the next byte arrives)
     */
    static int scan(byte[] data, int from, int length) {
        for (int i = from; i < length; i++) {
            byte b = data[i];
            if (b == 0) {
                return -2;
            }
            if (b == '\n') {
                if (i == 0 || data[i - 1] != '\r') {
                    return -2;
                }
                if (i >= 3 && data[i - 2] == '\n' && data[i - 3] == '\r') {
                    return i + 1;
                }
            } else if (b == '\r' && i + 1 < length && data[i + 1] != '\n') {
                return -2;
            }
        }
        return -1;
    }

    /** Where {@link #scan} may resume after reading up to {@code length}: a trailing CR is looked at again. */
    static int resumeAt(byte[] data, int length) {
        return length > 0 && data[length - 1] == '\r' ? length - 1 : length;
    }

    /** Parses a complete head, {@code data[0, end)}, that {@link #scan} accepted. */
    static RequestHead parse(byte[] data, int end) {
        String[] lines = new String(data, 0, end - 4, StandardCharsets.ISO_8859_1).split("\r\n", -1);
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || !TOKEN.matcher(parts[0]).matches()) {
            return new Refused(400, "malformed request line");
        }
        if (!TARGET.matcher(parts[1]).matches()) {
            return new Refused(400, "the request-target must be a path");
        }
        if (!parts[2].matches("HTTP/\\d\\.\\d")) {
            return new Refused(400, "malformed request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            return new Refused(505, "only HTTP/1.0 and HTTP/1.1 are served");
        }
        String contentLength = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith(" ") || line.startsWith("\t")) {
                return new Refused(400, "folded header lines are not accepted");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !TOKEN.matcher(line.substring(0, colon)).matches()) {
                return new Refused(400, "malformed header line");
            }
            String value = line.substring(colon + 1).strip();
            for (int c = 0; c < value.length(); c++) {
                char ch = value.charAt(c);
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                    return new Refused(400, "control character in a header");
                }
            }
            String name = line.substring(0, colon);
            if (name.equalsIgnoreCase("Transfer-Encoding")) {
                return new Refused(400, "request bodies are not accepted");
            }
            if (name.equalsIgnoreCase("Content-Length")) {
                if (contentLength != null || !value.matches("\\d{1,18}")) {
                    return new Refused(400, "malformed Content-Length");
                }
                contentLength = value;
                if (Long.parseLong(value) != 0) {
                    return new Refused(400, "request bodies are not accepted");
                }
            }
        }
        int query = parts[1].indexOf('?');
        return new Request(parts[0], query < 0 ? parts[1] : parts[1].substring(0, query));
    }
}
