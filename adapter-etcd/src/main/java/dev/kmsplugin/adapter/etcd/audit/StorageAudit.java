package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.adapter.etcd.storage.StorageFormat;
import dev.kmsplugin.adapter.etcd.storage.StoredValue;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Classifies stored values one at a time and keeps only counts and a few example keys, so memory stays the same
 * whatever the size of etcd. Nothing is decrypted: versions come from this plugin's ciphertext header, or from the
 * KMS v2 key_id matched against the backend's inventory.
 */
final class StorageAudit {

    /** One KMS group: a provider, an API, and the version (or unknown key_id) that sealed its values. */
    private record GroupKey(String provider, String api, Optional<KeyRef> version, Optional<String> keyId,
                            String state) {
    }

    private final Map<KeyRef, KeyInventory.KnownVersion> byRef = new HashMap<>();
    private final Map<KeyRef, Integer> age = new HashMap<>();
    private final Map<String, KeyInventory.KnownVersion> byKeyId = new HashMap<>();
    private final Set<String> providers;
    private final String prefix;
    private final Set<String> resources = new HashSet<>();

    private long total;
    private long unencrypted;
    private final TreeMap<String, Long> otherProviders = new TreeMap<>();
    private final Map<GroupKey, Tally> kms = new HashMap<>();
    private final TreeMap<String, Tally> unattributed = new TreeMap<>();
    private final Tally unreadable = new Tally();
    private final List<AuditReport.Example> unreadableExamples = new ArrayList<>();
    private final TreeMap<String, Long> byResource = new TreeMap<>();

    /**
     * @param providers the KMS provider names to audit; empty audits every KMS provider
     * @param prefix    the etcd prefix with its trailing slash
     */
    StorageAudit(KeyInventory inventory, Set<String> providers, String prefix) {
        for (KeyInventory.KnownVersion version : inventory.versions()) {
            byRef.put(version.ref(), version);
            age.put(version.ref(), age.size());
            byKeyId.put(version.keyId().value(), version);
        }
        this.providers = Set.copyOf(providers);
        this.prefix = prefix;
    }

    void add(byte[] keyBytes, byte[] value) {
        total++;
        String key = StorageKey.printable(keyBytes);
        String resource = resource(key);
        byResource.merge(resource, 1L, Long::sum);
        StoredValue stored = StorageFormat.classify(value);
        if (stored instanceof StoredValue.Identity) {
            unencrypted++;
        } else if (stored instanceof StoredValue.OtherProvider other) {
            otherProviders.merge(other.label(), 1L, Long::sum);
        } else if (stored instanceof StoredValue.Unreadable bad) {
            unreadable(resource, key, bad.reason());
        } else if (stored instanceof StoredValue.Kms sealed) {
            if (!providers.isEmpty() && !providers.contains(sealed.provider())) {
                otherProviders.merge("kms:" + sealed.api() + ":" + sealed.provider(), 1L, Long::sum);
            } else {
                kms(sealed, resource, key);
            }
        }
    }

    private void kms(StoredValue.Kms sealed, String resource, String key) {
        if (sealed.sealedWith().isPresent()) {
            KeyRef ref = sealed.sealedWith().get();
            KeyInventory.KnownVersion known = byRef.get(ref);
            if (known != null && sealed.keyId().isPresent() && !sealed.keyId().get().equals(known.keyId().value())) {
                unreadable(resource, key, "its keyID names another key version than " + ref + ", which sealed its DEK");
                return;
            }
            Optional<String> keyId = known != null ? Optional.of(known.keyId().value()) : sealed.keyId();
            group(new GroupKey(sealed.provider(), sealed.api(), Optional.of(ref), keyId, state(known)), resource, key);
        } else if (sealed.keyId().isPresent()) {
            String keyId = sealed.keyId().get();
            if (!validKeyId(keyId)) {
                unreadable(resource, key, "its keyID is not a valid key_id");
                return;
            }
            KeyInventory.KnownVersion known = byKeyId.get(keyId);
            group(new GroupKey(sealed.provider(), sealed.api(), Optional.ofNullable(known).map(k -> k.ref()),
                    Optional.of(keyId), state(known)), resource, key);
        } else {
            unattributed.computeIfAbsent(sealed.provider(), p -> new Tally()).add(resource, key);
        }
    }

    private static boolean validKeyId(String keyId) {
        try {
            new KeyId(keyId);
            return true;
        } catch (KmsException e) {
            return false;
        }
    }

    private static String state(KeyInventory.KnownVersion known) {
        return known == null ? "unknown" : known.state().label();
    }

    private void group(GroupKey group, String resource, String key) {
        kms.computeIfAbsent(group, g -> new Tally()).add(resource, key);
    }

    private void unreadable(String resource, String key, String reason) {
        unreadable.add(resource, key);
        if (unreadableExamples.size() < Tally.EXAMPLE_KEYS) {
            unreadableExamples.add(new AuditReport.Example(key, Messages.oneLine(reason, 200)));
        }
    }

    private String resource(String key) {
        String resource = StorageKey.resource(key, prefix);
        if (resources.contains(resource)) {
            return resource;
        }
        if (resources.size() >= StorageKey.MAX_RESOURCES) {
            return StorageKey.OTHER;
        }
        resources.add(resource);
        return resource;
    }

    AuditReport report(String endpoint, long revision, String backend) {
        List<AuditReport.KmsEntry> entries = new ArrayList<>();
        kms.forEach((group, tally) -> entries.add(new AuditReport.KmsEntry(group.provider(), group.api(),
                group.version().map(KeyRef::name), group.version().map(KeyRef::version), group.keyId(),
                group.state(), AuditReport.Group.of(group.provider(), tally))));
        // provider, API, then the backend's versions oldest first, then versions it lacks, then unknown key_ids
        entries.sort(Comparator.comparing(AuditReport.KmsEntry::provider)
                .thenComparing(AuditReport.KmsEntry::api)
                .thenComparing(e -> e.keyVersion().isEmpty())
                .thenComparingInt(e -> age.getOrDefault(new KeyRef(e.keyName().orElse("-"), e.keyVersion()
                        .orElse("-")), Integer.MAX_VALUE))
                .thenComparing(e -> e.keyName().orElse(""))
                .thenComparing(e -> versionOrder(e.keyVersion()))
                .thenComparing(e -> e.keyId().orElse("")));
        List<AuditReport.Group> unattributedGroups = new ArrayList<>();
        unattributed.forEach((provider, tally) -> unattributedGroups.add(AuditReport.Group.of(provider, tally)));
        return new AuditReport(endpoint, prefix, revision, backend, total, unencrypted, otherProviders, entries,
                unattributedGroups, AuditReport.Group.of("unreadable", unreadable), unreadableExamples, byResource);
    }

    /** Numeric versions (the simulator's) in number order, then others (Key Vault's hex) by text; unknown last. */
    private static String versionOrder(Optional<String> version) {
        if (version.isEmpty()) {
            return "\uffff";
        }
        String v = version.get();
        return v.matches("[0-9]{1,18}") ? String.format("0%018d", Long.parseLong(v)) : "1" + v;
    }
}
