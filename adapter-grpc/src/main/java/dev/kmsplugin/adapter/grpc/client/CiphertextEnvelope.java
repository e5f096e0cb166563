package dev.kmsplugin.adapter.grpc.client;

import dev.kmsplugin.domain.failure.Messages;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code client encrypt} prints by default and {@code client decrypt} reads back: one line of JSON holding
 * everything a later Decrypt needs, as the apiserver keeps it next to the data.
 *
 * <pre>{"api":"v2","ciphertext":"BASE64","key_id":"...","annotations":{"name":"BASE64"}}</pre>
 *
 * <p>Over v1 there is no key_id and no annotations. The parser accepts exactly this shape (string members, and
 * one object of strings for annotations), in any member order, with any JSON whitespace.
 */
record CiphertextEnvelope(String api, byte[] ciphertext, Optional<String> keyId, Map<String, byte[]> annotations) {

    CiphertextEnvelope {
        annotations = Map.copyOf(annotations);
    }

    String toJson() {
        StringBuilder json = Messages.appendJsonString(new StringBuilder("{\"api\":"), api);
        Messages.appendJsonString(json.append(",\"ciphertext\":"), Base64.getEncoder().encodeToString(ciphertext));
        keyId.ifPresent(id -> Messages.appendJsonString(json.append(",\"key_id\":"), id));
        if (api.equals("v2")) {
            json.append(",\"annotations\":{");
            String separator = "";
            for (Map.Entry<String, byte[]> entry : new TreeMap<>(annotations).entrySet()) {
                Messages.appendJsonString(json.append(separator), entry.getKey()).append(':');
                Messages.appendJsonString(json, Base64.getEncoder().encodeToString(entry.getValue()));
                separator = ",";
            }
            json.append('}');
        }
        return json.append('}').toString();
    }

    /** True when the text looks like an envelope rather than bare base64 (base64 never starts with a brace). */
    static boolean looksLikeJson(String text) {
        return text.startsWith("{");
    }

    /** Parses an envelope; the message of the exception says what is wrong, for the user to read. */
    static CiphertextEnvelope parse(String text) {
        Parser parser = new Parser(text);
        Map<String, Object> members = parser.object(true);
        parser.end();
        String api = string(members, "api").orElse("v2");
        if (!api.equals("v2") && !api.equals("v1")) {
            throw new IllegalArgumentException("\"api\" is '" + api + "'; expected v2 or v1");
        }
        String ciphertext = string(members, "ciphertext")
                .orElseThrow(() -> new IllegalArgumentException("it has no \"ciphertext\" member"));
        Map<String, byte[]> annotations = new LinkedHashMap<>();
        Object rawAnnotations = members.get("annotations");
        if (rawAnnotations instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                annotations.put((String) entry.getKey(), base64((String) entry.getValue(),
                        "annotation '" + entry.getKey() + "'"));
            }
        } else if (rawAnnotations != null) {
            throw new IllegalArgumentException("\"annotations\" must be an object of base64 strings");
        }
        for (String name : members.keySet()) {
            if (!java.util.List.of("api", "ciphertext", "key_id", "annotations").contains(name)) {
                throw new IllegalArgumentException("unknown member \"" + name + "\"");
            }
        }
        return new CiphertextEnvelope(api, base64(ciphertext, "\"ciphertext\""),
                string(members, "key_id").filter(id -> !id.isEmpty()), annotations);
    }

    private static Optional<String> string(Map<String, Object> members, String name) {
        Object value = members.get(name);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String text)) {
            throw new IllegalArgumentException("\"" + name + "\" must be a string");
        }
        return Optional.of(text);
    }

    private static byte[] base64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64: " + e.getMessage());
        }
    }

    /** A strict reader for the one shape above: objects whose members are strings (or, at the top, objects). */
    private static final class Parser {
        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        Map<String, Object> object(boolean nestedAllowed) {
            expect('{');
            Map<String, Object> members = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                at++;
                return members;
            }
            while (true) {
                skipSpace();
                String name = string();
                skipSpace();
                expect(':');
                skipSpace();
                Object value;
                if (peek() == '{' && nestedAllowed) {
                    value = object(false);
                } else if (peek() == '"') {
                    value = string();
                } else {
                    throw error("expected a string value for \"" + name + "\"");
                }
                if (members.put(name, value) != null) {
                    throw error("member \"" + name + "\" appears twice");
                }
                skipSpace();
                char next = next();
                if (next == '}') {
                    return members;
                }
                if (next != ',') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        void end() {
            skipSpace();
            if (at != text.length()) {
                throw error("unexpected text after the object");
            }
        }

        private String string() {
            expect('"');
            StringBuilder value = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\') {
                    char escaped = next();
                    switch (escaped) {
                        case '"', '\\', '/' -> value.append(escaped);
                        case 'n' -> value.append('\n');
                        case 't' -> value.append('\t');
                        case 'r' -> value.append('\r');
                        case 'b' -> value.append('\b');
                        case 'f' -> value.append('\f');
                        case 'u' -> {
                            if (at + 4 > text.length()) {
                                throw error("short \\u escape");
                            }
                            try {
                                value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            } catch (NumberFormatException e) {
                                throw error("bad \\u escape");
                            }
                            at += 4;
                        }
                        default -> throw error("bad escape \\" + escaped);
                    }
                } else if (c < 0x20) {
                    throw error("control character in a string");
                } else {
                    value.append(c);
                }
            }
        }

        private void skipSpace() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw error("it ends early");
            }
            return text.charAt(at);
        }

        private char next() {
            char c = peek();
            at++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                at--;
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String message) {
            return new IllegalArgumentException(message + " at character " + (at + 1));
        }
    }
}
