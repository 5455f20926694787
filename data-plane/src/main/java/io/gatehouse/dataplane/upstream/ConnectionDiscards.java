package io.gatehouse.dataplane.upstream;

import java.util.concurrent.atomic.LongAdder;

/**
 * How many upstream connections were discarded for each {@link DiscardReason}, across all keep-alive
 * pools of one {@link UpstreamClients}; read at each scrape of {@code /metrics}. Thread-safe, lock-free.
 */
public final class ConnectionDiscards {

    private final LongAdder[] counts = new LongAdder[DiscardReason.values().length];

    ConnectionDiscards() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void add(DiscardReason reason) {
        counts[reason.ordinal()].increment();
    }

    /** Connections discarded for {@code reason} so far. */
    public long count(DiscardReason reason) {
        return counts[reason.ordinal()].sum();
    }
}
