package dev.kmsplugin.adapter.etcd.audit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/** A count of stored values, by resource, with the first few keys as examples: bounded whatever the count. */
final class Tally {

    static final int EXAMPLE_KEYS = 5;

    private long count;
    private final TreeMap<String, Long> byResource = new TreeMap<>();
    private final List<String> firstKeys = new ArrayList<>(EXAMPLE_KEYS);

    void add(String resource, String key) {
        count++;
        byResource.merge(resource, 1L, Long::sum);
        if (firstKeys.size() < EXAMPLE_KEYS) {
            firstKeys.add(key);
        }
    }

    long count() {
        return count;
    }

    SortedMap<String, Long> byResource() {
        return Collections.unmodifiableSortedMap(byResource);
    }

    List<String> firstKeys() {
        return Collections.unmodifiableList(firstKeys);
    }
}
