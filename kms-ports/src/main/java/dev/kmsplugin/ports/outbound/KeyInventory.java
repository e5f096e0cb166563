package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every version of the key-encryption key that a backend holds, with its key_id and whether it can still unwrap:
 * what the storage audit matches the data stored in etcd against. Read for operator commands, never on the serving
 * path; an implementation may be a snapshot taken when it was made.
 */
public interface KeyInventory {

    /** One line naming the backend and key (never anything secret), for reports. */
    String describe();

    /** Every version the backend lists, oldest first; exactly one of them is {@link State#CURRENT}. */
    List<KnownVersion> versions();

    /** The version {@code ref} names, if the backend holds it. */
    default Optional<KnownVersion> find(KeyRef ref) {
        return versions().stream().filter(v -> v.ref().equals(ref)).findFirst();
    }

    /** The version whose key_id is {@code keyId}, if the backend holds it. */
    default Optional<KnownVersion> find(KeyId keyId) {
        return versions().stream().filter(v -> v.keyId().equals(keyId)).findFirst();
    }

    /** What a version can still do. */
    enum State {
        /** Wraps new data keys, and unwraps. */
        CURRENT,
        /** Unwraps what it wrapped. */
        ENABLED,
        /** Switched off in the backend (Key Vault {@code enabled=false}): unwrap fails until it is enabled again. */
        DISABLED,
        /** Retired by {@code kms-plugin}: unwrap fails until it is restored. */
        RETIRED;

        /** True when data wrapped by a version in this state can be read today. */
        public boolean unwraps() {
            return this == CURRENT || this == ENABLED;
        }

        /** Lower case, as reports print it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param ref          the key name and version, as this plugin's ciphertext header records them
     * @param keyId        the KMS v2 key_id of this version
     * @param state        what the version can still do
     * @param currentSince since when the version has been (or would have been) the one new data is wrapped with,
     *                     when the backend knows: the simulator's creation instant, Key Vault's
     *                     {@code max(created, notBefore)}
     */
    record KnownVersion(KeyRef ref, KeyId keyId, State state, Optional<Instant> currentSince) {
        public KnownVersion {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(currentSince, "currentSince");
        }
    }
}
