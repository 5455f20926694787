package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** A monotonically increasing count; lock-free. */
public final class Counter implements Family.Child {
    private final LongAdder value = new LongAdder();
    private final LongSupplier supplier;

    Counter() {
        this.supplier = null;
    }

    Counter(LongSupplier supplier) {
        this.supplier = supplier;
    }

    public void inc() {
        value.increment();
    }

    public void add(long amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("counters only go up: " + amount);
        }
        value.add(amount);
    }

    public long value() {
        return supplier != null ? supplier.getAsLong() : value.sum();
    }

    @Override
    public void writeSamples(Writer out, String name, String labels) throws IOException {
        out.write(name + (labels.isEmpty() ? "" : "{" + labels + "}") + " " + value() + "\n");
    }
}
