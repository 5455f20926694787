package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.chain.Exchange;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chooses one endpoint among the selectable ones of an upstream. Implementations are built once
 * per compiled upstream and are thread-safe and lock-free.
 */
interface LoadBalancer {

    /**
     * @param endpoints  all endpoints of the upstream, in config order
     * @param selectable which of them may be chosen (at least one is true)
     * @param count      how many are selectable
     * @param exchange   the request (hash keys); may be null in unit tests of non-hash policies
     */
    int choose(List<Endpoint> endpoints, boolean[] selectable, int count, Exchange exchange);

    /** Weighted round robin; exact proportions over every cycle of the total weight. */
    final class RoundRobin implements LoadBalancer {
        private final long[] cumulative;
        private final AtomicLong counter = new AtomicLong();

        RoundRobin(List<Endpoint> endpoints) {
            cumulative = new long[endpoints.size()];
            long sum = 0;
            for (int i = 0; i < endpoints.size(); i++) {
                sum += endpoints.get(i).target().weight();
                cumulative[i] = sum;
            }
        }

        @Override
        public int choose(List<Endpoint> endpoints, boolean[] selectable, int count, Exchange exchange) {
            long tick = counter.getAndIncrement();
            if (count == endpoints.size()) {
                long slot = Math.floorMod(tick, cumulative[cumulative.length - 1]);
                int index = Arrays.binarySearch(cumulative, slot + 1);
                return index < 0 ? -index - 1 : index;
            }
            long total = 0;
            for (int i = 0; i < endpoints.size(); i++) {
                if (selectable[i]) {
                    total += endpoints.get(i).target().weight();
                }
            }
            long slot = Math.floorMod(tick, total);
            for (int i = 0; i < endpoints.size(); i++) {
                if (selectable[i]) {
                    slot -= endpoints.get(i).target().weight();
                    if (slot < 0) {
                        return i;
                    }
                }
            }
            throw new IllegalStateException("unreachable: no selectable endpoint");
        }
    }

    /**
     * Least outstanding requests with the power of two choices: two random selectable endpoints,
     * the one with fewer requests in flight per unit of weight wins.
     */
    final class LeastRequest implements LoadBalancer {
        @Override
        public int choose(List<Endpoint> endpoints, boolean[] selectable, int count, Exchange exchange) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            if (count == 1) {
                return nthSelectable(selectable, 0);
            }
            int a = random.nextInt(count);
            int b = random.nextInt(count - 1);
            if (b >= a) {
                b++;
            }
            int first = nthSelectable(selectable, a);
            int second = nthSelectable(selectable, b);
            return load(endpoints.get(first)) <= load(endpoints.get(second)) ? first : second;
        }

        private static double load(Endpoint endpoint) {
            return (double) endpoint.health().inFlight() / endpoint.target().weight();
        }
    }

    /**
     * Ring hash: each endpoint owns {@code weight × k} points of a 64-bit ring (by hash of its URL,
     * so removing a target only moves the keys it owned); a key goes to the first selectable
     * endpoint clockwise from its hash. Without a key the choice is random.
     */
    final class RingHash implements LoadBalancer {
        private static final int MAX_POINTS = 100_000;
        private final HashKey key;
        private final long[] points;
        private final int[] owners;

        RingHash(List<Endpoint> endpoints, HashKey key) {
            this.key = key;
            long totalWeight = 0;
            for (Endpoint e : endpoints) {
                totalWeight += e.target().weight();
            }
            int perUnit = (int) Math.max(1, Math.min(100, MAX_POINTS / totalWeight));
            int size = (int) (totalWeight * perUnit);
            long[] packedHashes = new long[size];
            int[] packedOwners = new int[size];
            Integer[] order = new Integer[size];
            int n = 0;
            for (int i = 0; i < endpoints.size(); i++) {
                Endpoint e = endpoints.get(i);
                String id = e.target().scheme() + "://" + e.target().authority();
                for (int v = 0; v < e.target().weight() * perUnit; v++) {
                    packedHashes[n] = HashKey.hash(id + "#" + v);
                    packedOwners[n] = i;
                    order[n] = n;
                    n++;
                }
            }
            Arrays.sort(order, (x, y) -> Long.compare(packedHashes[x], packedHashes[y]));
            points = new long[size];
            owners = new int[size];
            for (int i = 0; i < size; i++) {
                points[i] = packedHashes[order[i]];
                owners[i] = packedOwners[order[i]];
            }
        }

        @Override
        public int choose(List<Endpoint> endpoints, boolean[] selectable, int count, Exchange exchange) {
            Optional<String> value = exchange == null ? Optional.empty() : key.of(exchange);
            if (value.isEmpty()) {
                return nthSelectable(selectable, ThreadLocalRandom.current().nextInt(count));
            }
            return chooseForKey(value.get(), selectable);
        }

        int chooseForKey(String value, boolean[] selectable) {
            long h = HashKey.hash(value);
            int start = Arrays.binarySearch(points, h);
            if (start < 0) {
                start = -start - 1;
            }
            for (int i = 0; i < points.length; i++) {
                int owner = owners[(start + i) % points.length];
                if (selectable[owner]) {
                    return owner;
                }
            }
            throw new IllegalStateException("unreachable: no selectable endpoint");
        }
    }

    static int nthSelectable(boolean[] selectable, int n) {
        for (int i = 0; i < selectable.length; i++) {
            if (selectable[i] && n-- == 0) {
                return i;
            }
        }
        throw new IllegalStateException("unreachable: fewer selectable endpoints than counted");
    }
}
