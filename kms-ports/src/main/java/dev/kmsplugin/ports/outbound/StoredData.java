package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.key.KeyRef;
import java.util.List;
import java.util.Objects;

/**
 * The data kube-apiserver stored, seen from what it depends on: offered by a storage plugin (adapter-etcd reads
 * etcd) and used by the commands that must prove nothing needs a key version before they take it away.
 */
public interface StoredData {

    /**
     * Reads everything stored now and counts the values that need {@code version}, and those whose version cannot
     * be told without decrypting (any version might be theirs). Fails with a
     * {@link dev.kmsplugin.domain.failure.KmsException} when the store cannot be read.
     */
    Dependence dependenceOn(KeyInventory inventory, KeyRef version);

    /**
     * @param source       what was read, for messages: e.g. {@code etcd https://127.0.0.1:2379 /registry/ at
     *                     revision 42}
     * @param depending    values that need the version
     * @param unattributed values whose version cannot be told
     * @param details      one line per group: how many, in which resources, the first keys
     */
    record Dependence(String source, long depending, long unattributed, List<String> details) {
        public Dependence {
            Objects.requireNonNull(source, "source");
            details = List.copyOf(details);
        }

        /** True when nothing stored can need the version. */
        public boolean none() {
            return depending == 0 && unattributed == 0;
        }
    }
}
