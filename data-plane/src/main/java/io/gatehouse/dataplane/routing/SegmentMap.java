package io.gatehouse.dataplane.routing;

import java.util.Map;

/**
 * An immutable open-addressing hash map from strings to values that is probed with a region of a
 * larger string ({@code text[start, end)}), so a lookup on a raw path or host needs no substring.
 * The hash is {@link String#hashCode()}'s, computed over the region.
 *
 * <p>Lookups in large tables are bound by memory latency, not by instructions, so the layout keeps
 * a probe to few cache lines: the keys' hashes in one {@code int[]} (compared first), and each key
 * next to its value in one interleaved array. Thread-safe (immutable).
 */
final class SegmentMap<V> {

    private static final SegmentMap<?> EMPTY = new SegmentMap<>(new int[0], new Object[0], 0);

    /** Per slot: the key's hash (meaningful only where the slot has a key). */
    private final int[] hashes;
    /** Slot i: key at 2i (null = empty slot), value at 2i + 1. */
    private final Object[] entries;
    private final int mask;
    /** 32 - log2(capacity): the home slot is the top bits of the mixed hash. */
    private final int shift;

    private SegmentMap(int[] hashes, Object[] entries, int shift) {
        this.hashes = hashes;
        this.entries = entries;
        this.mask = hashes.length - 1;
        this.shift = shift;
    }

    @SuppressWarnings("unchecked")
    static <V> SegmentMap<V> of(Map<String, V> map) {
        if (map.isEmpty()) {
            return (SegmentMap<V>) EMPTY;
        }
        int capacity = Integer.highestOneBit(Math.max(2, map.size() * 2 - 1)) << 1; // load factor <= 0.5
        int shift = 32 - Integer.numberOfTrailingZeros(capacity);
        int[] hashes = new int[capacity];
        Object[] entries = new Object[capacity * 2];
        for (Map.Entry<String, V> entry : map.entrySet()) {
            int hash = entry.getKey().hashCode();
            int i = slot(hash, shift);
            while (entries[2 * i] != null) {
                i = (i + 1) & (capacity - 1);
            }
            hashes[i] = hash;
            entries[2 * i] = entry.getKey();
            entries[2 * i + 1] = entry.getValue();
        }
        return new SegmentMap<>(hashes, entries, shift);
    }

    boolean isEmpty() {
        return hashes.length == 0;
    }

    /** The value for the key equal to {@code text[start, end)}, or null. */
    @SuppressWarnings("unchecked")
    V get(String text, int start, int end) {
        if (hashes.length == 0) {
            return null;
        }
        int hash = 0;
        for (int i = start; i < end; i++) {
            hash = 31 * hash + text.charAt(i);
        }
        int length = end - start;
        for (int i = slot(hash, shift); ; i = (i + 1) & mask) {
            Object key = entries[2 * i];
            if (key == null) {
                return null;
            }
            if (hashes[i] == hash) {
                String candidate = (String) key;
                if (candidate.length() == length && text.regionMatches(start, candidate, 0, length)) {
                    return (V) entries[2 * i + 1];
                }
            }
        }
    }

    /**
     * Fibonacci hashing: String hashes of similar keys ("svc1", "svc2", ...) are sequential, which
     * would form long runs under linear probing; multiplying by 2^32/phi and taking the top bits
     * scatters them.
     */
    private static int slot(int hash, int shift) {
        return (hash * 0x9E3779B9) >>> shift;
    }
}
