package io.gatehouse.dataplane.upstream;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A named set of interchangeable targets with weighted round-robin selection.
 *
 * <p>Selection walks a counter over the total weight and maps it to a target by binary search over
 * the cumulative weights, so over every {@code totalWeight} consecutive picks each target is chosen
 * exactly {@code weight} times. Lock-free and thread-safe; the target list is immutable.
 */
public final class UpstreamCluster {

    private final String name;
    private final List<UpstreamTarget> targets;
    private final long[] cumulativeWeights;
    private final long totalWeight;
    private final AtomicLong counter = new AtomicLong();

    /**
     * @throws IllegalArgumentException if {@code targets} is empty
     */
    public UpstreamCluster(String name, List<UpstreamTarget> targets) {
        this.name = Objects.requireNonNull(name, "name");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("upstream '" + name + "' has no targets");
        }
        this.targets = List.copyOf(targets);
        this.cumulativeWeights = new long[targets.size()];
        long sum = 0;
        for (int i = 0; i < targets.size(); i++) {
            sum += targets.get(i).weight();
            cumulativeWeights[i] = sum;
        }
        this.totalWeight = sum;
    }

    public String name() {
        return name;
    }

    public List<UpstreamTarget> targets() {
        return targets;
    }

    /** The next target in weighted round-robin order. */
    public UpstreamTarget next() {
        if (targets.size() == 1) {
            return targets.getFirst();
        }
        long slot = Math.floorMod(counter.getAndIncrement(), totalWeight);
        int index = Arrays.binarySearch(cumulativeWeights, slot + 1);
        if (index < 0) {
            index = -index - 1; // insertion point: first cumulative weight > slot
        }
        return targets.get(index);
    }
}
