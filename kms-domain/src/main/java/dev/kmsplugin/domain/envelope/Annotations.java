package dev.kmsplugin.domain.envelope;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * KMS v2 annotations: small key/value pairs stored by the apiserver beside the ciphertext and handed back on
 * decrypt. apiserver rules: every key is a fully qualified domain name (a lowercase DNS-1123 subdomain with at
 * least two labels), and keys plus values take at most 32 KiB in total.
 */
public final class Annotations {

    public static final int MAX_TOTAL_BYTES = 32 * 1024;
    private static final int MAX_KEY_LENGTH = 253;
    private static final Pattern FQDN = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+");
    private static final Annotations NONE = new Annotations(new TreeMap<>());

    private final Map<String, byte[]> entries;

    private Annotations(TreeMap<String, byte[]> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    public static Annotations none() {
        return NONE;
    }

    /** Validates and copies {@code entries}; fails with {@link KmsException.InvalidInput} naming the bad key. */
    public static Annotations of(Map<String, byte[]> entries) {
        if (entries == null || entries.isEmpty()) {
            return NONE;
        }
        TreeMap<String, byte[]> copy = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            String key = entry.getKey();
            if (key == null || key.length() > MAX_KEY_LENGTH || !FQDN.matcher(key).matches()) {
                throw new KmsException.InvalidInput("annotation key '" + (key == null ? "null" : Messages.oneLine(key, 64))
                        + "' is not a fully qualified domain name (lowercase, at least two labels, e.g. version.example.com)");
            }
            byte[] value = entry.getValue() == null ? new byte[0] : entry.getValue().clone();
            total += key.getBytes(StandardCharsets.UTF_8).length + value.length;
            copy.put(key, value);
        }
        if (total > MAX_TOTAL_BYTES) {
            throw new KmsException.InvalidInput("annotations take " + total + " bytes; at most " + MAX_TOTAL_BYTES
                    + " are allowed for keys and values together");
        }
        return new Annotations(copy);
    }

    public Optional<byte[]> get(String key) {
        byte[] value = entries.get(key);
        return value == null ? Optional.empty() : Optional.of(value.clone());
    }

    /** The value as UTF-8 text, when present. */
    public Optional<String> text(String key) {
        return get(key).map(value -> new String(value, StandardCharsets.UTF_8));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** A copy of all entries, sorted by key. */
    public Map<String, byte[]> asMap() {
        TreeMap<String, byte[]> copy = new TreeMap<>();
        entries.forEach((key, value) -> copy.put(key, value.clone()));
        return copy;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Annotations that) || !entries.keySet().equals(that.entries.keySet())) {
            return false;
        }
        return entries.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), that.entries.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        return entries.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "Annotations" + entries.keySet();
    }
}
