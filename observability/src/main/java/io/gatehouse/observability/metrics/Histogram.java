package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A distribution of observed values (by convention seconds) in fixed buckets; lock-free. The
 * count written is the sum of the buckets, so a scrape is always self-consistent in its buckets.
 */
public final class Histogram implements Family.Child {
    private final double[] bounds;
    private final LongAdder[] buckets; // non-cumulative; the last one is +Inf
    private final DoubleAdder sum = new DoubleAdder();

    Histogram(double[] bounds) {
        this.bounds = bounds;
        this.buckets = new LongAdder[bounds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void observe(double value) {
        int i = 0;
        while (i < bounds.length && value > bounds[i]) {
            i++;
        }
        buckets[i].increment();
        sum.add(value);
    }

    /** Observes a duration given in nanoseconds, as seconds. */
    public void observeNanos(long nanos) {
        observe(nanos / 1e9);
    }

    public long count() {
        long count = 0;
        for (LongAdder bucket : buckets) {
            count += bucket.sum();
        }
        return count;
    }

    @Override
    public void writeSamples(Writer out, String name, String labels) throws IOException {
        String prefix = labels.isEmpty() ? "" : labels + ",";
        long cumulative = 0;
        for (int i = 0; i < buckets.length; i++) {
            cumulative += buckets[i].sum();
            String le = i < bounds.length ? Family.number(bounds[i]) : "+Inf";
            out.write(name + "_bucket{" + prefix + "le=\"" + le + "\"} " + cumulative + "\n");
        }
        String braces = labels.isEmpty() ? "" : "{" + labels + "}";
        out.write(name + "_sum" + braces + " " + Family.number(sum.sum()) + "\n");
        out.write(name + "_count" + braces + " " + cumulative + "\n");
    }
}
