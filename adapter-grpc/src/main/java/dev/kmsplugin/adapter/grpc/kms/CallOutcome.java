package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.domain.failure.Messages;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How one KMS call ended, as the single parameter of its log line ({@link #MESSAGE}). The log formatter reads the
 * fields from {@link #fields()}, a {@code Map<String, String>} (so it needs no compile-time knowledge of this
 * adapter), instead of parsing text; a caller-supplied string is a value and can never become a field of its own.
 *
 * @param uid    the apiserver's uid of the call (caller-supplied), or a generated one
 * @param method {@code v2/Encrypt} and the like
 * @param code   the gRPC status code's name
 * @param micros time from arrival to answer
 * @param detail the status description, empty when OK (may quote caller-supplied strings)
 */
public record CallOutcome(String uid, String method, String code, long micros, String detail) {

    /** The message of every call log line; {@code {0}} renders as the line's text form. */
    public static final String MESSAGE = "{0}";

    public CallOutcome {
        uid = uid == null ? "" : uid;
        detail = detail == null ? "" : detail;
    }

    /**
     * The fields in a fixed order (uid, method, code, micros, then detail when not empty). Its {@code toString()}
     * is the text form {@code uid=... method=... code=... micros=... detail="..."}, where a value with a space,
     * a quote, a backslash or a control character is quoted and escaped, so that it stays one value.
     */
    public Map<String, String> fields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("uid", uid);
        fields.put("method", method);
        fields.put("code", code);
        fields.put("micros", Long.toString(micros));
        if (!detail.isEmpty()) {
            fields.put("detail", detail);
        }
        return new Fields(Collections.unmodifiableMap(fields));
    }

    /** The text form, as {@link #fields()} renders it. */
    @Override
    public String toString() {
        return fields().toString();
    }

    /** A value as it appears in the text form: bare when harmless, otherwise quoted with escapes. */
    static String render(String key, String value) {
        boolean bare = !value.isEmpty() && !key.equals("detail");
        for (int i = 0; bare && i < value.length(); i++) {
            char c = value.charAt(i);
            bare = c > ' ' && c != 0x7f && c != 0x2028 && c != 0x2029 && c != '"' && c != '\\' && c != '=';
        }
        return bare ? value : Messages.appendJsonString(new StringBuilder(value.length() + 2), value).toString();
    }

    private static final class Fields extends AbstractMap<String, String> {
        private final Map<String, String> fields;

        Fields(Map<String, String> fields) {
            this.fields = fields;
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            return fields.entrySet();
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(96);
            fields.forEach((key, value) -> {
                if (text.length() > 0) {
                    text.append(' ');
                }
                text.append(key).append('=').append(render(key, value));
            });
            return text.toString();
        }
    }
}
