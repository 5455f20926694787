package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/** A value that goes up and down: set explicitly, moved by inc/dec, or read from a supplier at scrape. */
public final class Gauge implements Family.Child {
    private final AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0));
    private final DoubleSupplier supplier;

    Gauge() {
        this.supplier = null;
    }

    Gauge(DoubleSupplier supplier) {
        this.supplier = supplier;
    }

    public void set(double value) {
        bits.set(Double.doubleToLongBits(value));
    }

    public void inc() {
        add(1);
    }

    public void dec() {
        add(-1);
    }

    public void add(double delta) {
        long prev;
        long next;
        do {
            prev = bits.get();
            next = Double.doubleToLongBits(Double.longBitsToDouble(prev) + delta);
        } while (!bits.compareAndSet(prev, next));
    }

    public double value() {
        return supplier != null ? supplier.getAsDouble() : Double.longBitsToDouble(bits.get());
    }

    @Override
    public void writeSamples(Writer out, String name, String labels) throws IOException {
        out.write(name + (labels.isEmpty() ? "" : "{" + labels + "}") + " " + Family.number(value()) + "\n");
    }
}
