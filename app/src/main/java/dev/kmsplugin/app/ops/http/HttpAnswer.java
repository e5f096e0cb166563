package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.domain.failure.Messages;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** What an endpoint's route answers, and its bytes on the wire: one HTTP/1.1 response that closes the connection. */
public record HttpAnswer(int status, String contentType, String body) {

    /** A plain-text answer, ending in a newline. */
    public static HttpAnswer text(int status, String body) {
        return new HttpAnswer(status, "text/plain; charset=utf-8", body.endsWith("\n") ? body : body + "\n");
    }

    /** The response: status line, headers ({@code extraHeaders} as CRLF-terminated lines), and body unless HEAD. */
    byte[] bytes(boolean head, String extraHeaders) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] headers = ("HTTP/1.1 " + status + " " + reason(status) + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + content.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + extraHeaders
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        if (head) {
            return headers;
        }
        byte[] bytes = Arrays.copyOf(headers, headers.length + content.length);
        System.arraycopy(content, 0, bytes, headers.length, content.length);
        return bytes;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** The first line of an exception's message, or its simple class name when it has none. */
    public static String firstLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        // the first line says what failed; the rest is detail for the plugin's own log
        int newline = message.indexOf('\n');
        return Messages.oneLine(newline < 0 ? message : message.substring(0, newline));
    }
}
