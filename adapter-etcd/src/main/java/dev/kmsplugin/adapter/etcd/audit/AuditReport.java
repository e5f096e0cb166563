package dev.kmsplugin.adapter.etcd.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the data under one etcd prefix depends on, at one etcd revision. Every value is counted exactly once:
 * {@code total = unencrypted + sum(otherProviders) + sum(kms counts) + unattributed + unreadable}.
 *
 * @param endpoint       the etcd endpoint that answered
 * @param prefix         the etcd prefix read, with its trailing slash
 * @param revision       the etcd revision every page was read at
 * @param backend        the backend whose key versions the values were matched against
 * @param total          values read
 * @param unencrypted    values stored in the clear (the identity provider)
 * @param otherProviders values of other providers and of KMS providers not audited, by {@code type:vN:name}
 * @param kms            values of the audited KMS providers whose key version is known, by provider, API and version
 * @param unattributed   values of an audited provider whose version cannot be told without decrypting (another
 *                       plugin's KMS v1 ciphertexts), by provider
 * @param unreadable     values that claim an encrypting prefix but do not parse, or contradict themselves
 * @param byResource     every value, by resource
 */
public record AuditReport(String endpoint, String prefix, long revision, String backend, long total,
                          long unencrypted, SortedMap<String, Long> otherProviders, List<KmsEntry> kms,
                          List<Group> unattributed, Group unreadable, List<Example> unreadableExamples,
                          SortedMap<String, Long> byResource) {

    public AuditReport {
        otherProviders = new TreeMap<>(otherProviders);
        kms = List.copyOf(kms);
        unattributed = List.copyOf(unattributed);
        unreadableExamples = List.copyOf(unreadableExamples);
        byResource = new TreeMap<>(byResource);
    }

    /**
     * Values that one key version (or one unknown key_id) of one provider and API sealed.
     *
     * @param state {@code current}, {@code enabled}, {@code disabled}, {@code retired}, or {@code unknown} when the
     *              backend does not hold the version
     */
    public record KmsEntry(String provider, String api, Optional<String> keyName, Optional<String> keyVersion,
                           Optional<String> keyId, String state, Group values) {

        /** True when the backend cannot unwrap this data today: data at risk. */
        public boolean atRisk() {
            return !state.equals("current") && !state.equals("enabled");
        }
    }

    /** A count with where the values are and the first few keys. */
    public record Group(String name, long count, SortedMap<String, Long> byResource, List<String> firstKeys) {
        public Group {
            byResource = new TreeMap<>(byResource);
            firstKeys = List.copyOf(firstKeys);
        }

        static Group of(String name, Tally tally) {
            return new Group(name, tally.count(), tally.byResource(), tally.firstKeys());
        }
    }

    /** One unreadable value: its key and why it does not parse, never its bytes. */
    public record Example(String key, String reason) {
    }

    public long unknownVersion() {
        return kms.stream().filter(KmsEntry::atRisk).mapToLong(e -> e.values().count()).sum();
    }

    public long unattributedCount() {
        return unattributed.stream().mapToLong(Group::count).sum();
    }

    public long kmsCount() {
        return kms.stream().mapToLong(e -> e.values().count()).sum();
    }

    /** The values that need {@code version} of the backend's key, merged over providers and APIs. */
    public Group dependingOn(String keyName, String version) {
        long count = 0;
        SortedMap<String, Long> byResource = new TreeMap<>();
        List<String> first = new ArrayList<>();
        for (KmsEntry entry : kms) {
            if (entry.keyVersion().equals(Optional.of(version)) && entry.keyName().equals(Optional.of(keyName))) {
                count += entry.values().count();
                entry.values().byResource().forEach((resource, n) -> byResource.merge(resource, n, Long::sum));
                entry.values().firstKeys().stream().limit(Tally.EXAMPLE_KEYS - first.size()).forEach(first::add);
            }
        }
        return new Group(keyName + "/" + version, count, byResource, first);
    }
}
