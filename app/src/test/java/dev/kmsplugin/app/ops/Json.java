package dev.kmsplugin.app.ops;

import java.util.LinkedHashMap;
import java.util.Map;

/** A strict reader for the flat JSON objects the log writes: string values only, RFC 8259 escapes. */
public final class Json {

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    public static Map<String, String> object(String line) {
        Json json = new Json(line);
        Map<String, String> fields = json.readObject();
        if (json.at != line.length()) {
            throw new IllegalArgumentException("trailing characters after the object at " + json.at + ": " + line);
        }
        return fields;
    }

    private Map<String, String> readObject() {
        expect('{');
        Map<String, String> fields = new LinkedHashMap<>();
        if (peek() == '}') {
            at++;
            return fields;
        }
        while (true) {
            String key = readString();
            expect(':');
            if (fields.put(key, readString()) != null) {
                throw new IllegalArgumentException("duplicate key " + key);
            }
            char next = text.charAt(at++);
            if (next == '}') {
                return fields;
            }
            if (next != ',') {
                throw new IllegalArgumentException("expected , or } at " + (at - 1) + ": " + text);
            }
        }
    }

    private String readString() {
        expect('"');
        StringBuilder value = new StringBuilder();
        while (true) {
            char c = text.charAt(at++);
            if (c == '"') {
                return value.toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("raw control character in a string at " + (at - 1));
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escape = text.charAt(at++);
            switch (escape) {
                case '"', '\\', '/' -> value.append(escape);
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'u' -> {
                    value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + escape);
            }
        }
    }

    private char peek() {
        return text.charAt(at);
    }

    private void expect(char c) {
        if (at >= text.length() || text.charAt(at) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + at + ": " + text);
        }
        at++;
    }
}
