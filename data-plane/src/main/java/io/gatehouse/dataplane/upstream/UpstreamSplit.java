package io.gatehouse.dataplane.upstream;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which upstream of a route serves a request: one upstream, or a weighted split across several
 * (canary / blue-green). A sticky split chooses by a hash of the request id, so every attempt and
 * every retry of one request id lands on the same side; otherwise the choice is random with the
 * configured shares. Immutable and thread-safe.
 */
public final class UpstreamSplit {

    private final List<UpstreamCluster> upstreams;
    private final long[] cumulative;
    private final boolean sticky;

    private UpstreamSplit(List<UpstreamCluster> upstreams, long[] cumulative, boolean sticky) {
        this.upstreams = upstreams;
        this.cumulative = cumulative;
        this.sticky = sticky;
    }

    /** The whole traffic to one upstream. */
    public static UpstreamSplit single(UpstreamCluster upstream) {
        return new UpstreamSplit(List.of(Objects.requireNonNull(upstream, "upstream")), new long[] {1}, false);
    }

    /**
     * @param weights one per upstream, each 0 or more, with a positive sum
     * @throws IllegalArgumentException if the sizes differ or the weights sum to 0
     */
    public static UpstreamSplit weighted(List<UpstreamCluster> upstreams, List<Integer> weights, boolean sticky) {
        if (upstreams.isEmpty() || upstreams.size() != weights.size()) {
            throw new IllegalArgumentException("a split needs one weight per upstream");
        }
        long[] cumulative = new long[weights.size()];
        long sum = 0;
        for (int i = 0; i < weights.size(); i++) {
            if (weights.get(i) < 0) {
                throw new IllegalArgumentException("split weights must be >= 0");
            }
            sum += weights.get(i);
            cumulative[i] = sum;
        }
        if (sum == 0) {
            throw new IllegalArgumentException("split weights must not all be 0");
        }
        return new UpstreamSplit(List.copyOf(upstreams), cumulative, sticky);
    }

    /** The upstreams of the split, in config order (one for a plain route). */
    public List<UpstreamCluster> upstreams() {
        return upstreams;
    }

    /** The weight of the {@code index}-th upstream, as configured. */
    public long weight(int index) {
        return cumulative[index] - (index == 0 ? 0 : cumulative[index - 1]);
    }

    public boolean sticky() {
        return sticky;
    }

    /** The upstream for the request with {@code requestId}. */
    public UpstreamCluster choose(String requestId) {
        if (upstreams.size() == 1) {
            return upstreams.getFirst();
        }
        long total = cumulative[cumulative.length - 1];
        long slot = sticky
                ? Math.floorMod(HashKey.hash(requestId), total)
                : ThreadLocalRandom.current().nextLong(total);
        int index = Arrays.binarySearch(cumulative, slot + 1);
        if (index < 0) {
            index = -index - 1; // first cumulative weight > slot
        }
        while (index > 0 && cumulative[index - 1] >= slot + 1) {
            index--; // an exact hit may land on a 0-weight entry sharing the cumulative value
        }
        return upstreams.get(index);
    }
}
