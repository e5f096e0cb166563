package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import javax.crypto.SecretKey;

/**
 * The key versions the token holds, as this process knows them: each with its key object, the current one (the
 * newest) and the retired ones. Read whole from the token and replaced whole, so lookups never touch the token
 * unless a ciphertext names a version not seen yet (another process rotated), at most once a second.
 */
final class TokenVersions {

    private static final long MIN_ON_DEMAND_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One version as the token stores it, as the core sees it, and its key object. */
    record Version(VersionLabel label, KeyVersion version, SecretKey key) {
    }

    /** The versions by version number, the current one, and the retired version numbers. */
    record Index(Map<String, Version> versions, Version current, Set<String> retired) {
    }

    private final SimSettings settings;
    private final SoftHsmToken token;
    private final BiConsumer<Index, Index> changed;
    // Serialises the index's replacement: a refresh that began before a re-open must not put dead keys back.
    private final Object lock = new Object();
    private volatile Index index;
    private volatile long lastReadNanos = System.nanoTime();

    /** @param changed told of every read after the first, with the index before and after it */
    TokenVersions(SimSettings settings, SoftHsmToken token, BiConsumer<Index, Index> changed) {
        this.settings = settings;
        this.token = token;
        this.changed = changed;
    }

    Index index() {
        return index;
    }

    /** Held while the index is replaced; opening the token again holds it too, so no read mixes old and new keys. */
    Object lock() {
        return lock;
    }

    /**
     * Reads the token's versions and makes them the index. Keys of versions known before are kept when
     * {@code reuseKeys} holds; after the token was opened again they are dead and are read again.
     */
    void read(boolean reuseKeys) {
        Index before;
        Index after;
        synchronized (lock) {
            lastReadNanos = System.nanoTime();
            before = index;
            after = load(before, reuseKeys);
            index = after;
        }
        if (before != null) {
            changed.accept(before, after);
        }
    }

    /** The version {@code key} names; a version unknown here makes the index be read again, at most once a second. */
    Version version(KeyRef key) {
        if (!key.name().equals(settings.keyName())) {
            throw new KmsException.UnknownKeyVersion("ciphertext names key '" + key.name() + "', but this plugin serves"
                    + " key '" + settings.keyName() + "' of token '" + settings.tokenLabel() + "'");
        }
        Version version = index.versions().get(key.version());
        if (version == null && System.nanoTime() - lastReadNanos > MIN_ON_DEMAND_REFRESH_NANOS) {
            // Rotated by another process since the last read? At most once a second, so that a client sending
            // unknown versions cannot make every call read the token.
            read(true);
            version = index.versions().get(key.version());
        }
        if (version == null) {
            throw new KmsException.UnknownKeyVersion("key version " + key + " does not exist in token '"
                    + settings.tokenLabel() + "'");
        }
        return version;
    }

    /** Refuses a retired version, unless it is the current one (a retired current version still decrypts). */
    void refuseIfRetired(Version version) {
        Index now = index;
        String number = version.version().ref().version();
        if (now.retired().contains(number) && !version.label().equals(now.current().label())) {
            throw RetiredVersions.refusal(settings, number);
        }
    }

    private Index load(Index previous, boolean reuseKeys) {
        List<VersionLabel> labels = token.versions(settings.keyName());
        if (labels.isEmpty()) {
            throw new KmsException.UnknownKeyVersion("token '" + settings.tokenLabel() + "' holds no version of key '"
                    + settings.keyName() + "'; run 'kms-plugin sim rotate " + SimSettings.flag("dir") + "="
                    + settings.directory() + "'");
        }
        Map<String, Version> byNumber = new LinkedHashMap<>();
        for (VersionLabel label : labels) {
            String number = Integer.toString(label.number());
            Version known = previous == null || !reuseKeys ? null : previous.versions().get(number);
            byNumber.put(number, known != null && known.label().equals(label) ? known
                    : new Version(label, new KeyVersion(label.ref(), label.keyId(), Algorithm.AES_256_GCM),
                            token.key(label)));
        }
        return new Index(Map.copyOf(byNumber), byNumber.get(Integer.toString(labels.get(labels.size() - 1).number())),
                RetiredVersions.read(settings.directory()));
    }
}
