package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.domain.failure.Messages;
import java.nio.charset.StandardCharsets;

/**
 * The apiserver's etcd keys: {@code <prefix>/<resource>/[<namespace>/]<name>}, or
 * {@code <prefix>/<group>/<resource>/...} for resources of API groups stored under their group (custom resources,
 * {@code apiregistration.k8s.io}, ...). Group names always hold a dot, resource names never do.
 */
final class StorageKey {

    /** Resources beyond this many distinct names are counted together, so a strange keyspace cannot grow memory. */
    static final int MAX_RESOURCES = 4096;
    static final String OTHER = "(other)";
    private static final int MAX_KEY_CHARS = 512;

    private StorageKey() {
    }

    /** The key as one printable line, for reports. */
    static String printable(byte[] key) {
        return Messages.oneLine(new String(key, StandardCharsets.UTF_8), MAX_KEY_CHARS);
    }

    /**
     * The resource a key belongs to, as kubectl names it: {@code secrets}, or {@code widgets.example.com} for a
     * grouped one; {@code (other)} for a key with no resource segment.
     *
     * @param key    the printable key
     * @param prefix the etcd prefix with its trailing slash, e.g. {@code /registry/}
     */
    static String resource(String key, String prefix) {
        if (!key.startsWith(prefix)) {
            return OTHER;
        }
        String rest = key.substring(prefix.length());
        int first = rest.indexOf('/');
        if (first <= 0) {
            return OTHER;
        }
        String head = rest.substring(0, first);
        if (head.indexOf('.') >= 0) {
            int second = rest.indexOf('/', first + 1);
            if (second > first + 1) {
                return rest.substring(first + 1, second) + "." + head;
            }
        }
        return head;
    }
}
