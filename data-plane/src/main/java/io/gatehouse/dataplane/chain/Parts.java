package io.gatehouse.dataplane.chain;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the chain steps compiled from one snapshot, typed by key: the gateway-wide parts of a
 * snapshot ({@link Exchange#config()}) or the parts of one route. Each step declares its own keys
 * ({@code static final Parts.Key<IpRules> GLOBAL = Parts.Key.of("access.global", IpRules.NONE)}) and
 * its compiler ({@link PolicyCompiler}) fills them when a snapshot is compiled, so the chain (this
 * package) knows none of the steps, and a step reads its compiled slice in one array load.
 *
 * <p>Immutable once built; thread-safe.
 */
public final class Parts {

    /**
     * A typed slot. Keys are numbered as they are created (a handful per step, all static), so a
     * lookup is an array index, not a hash.
     *
     * @param <T> the compiled value's type
     */
    public static final class Key<T> {
        private static final AtomicInteger NEXT = new AtomicInteger();
        private final int index = NEXT.getAndIncrement();
        private final String name;
        private final T absent;

        private Key(String name, T absent) {
            this.name = Objects.requireNonNull(name, "name");
            this.absent = absent;
        }

        /** A key whose value is {@code absent} where no compiler put one (a default, or null). */
        public static <T> Key<T> of(String name, T absent) {
            return new Key<>(name, absent);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** No parts: every key reads its absent value. */
    public static final Parts EMPTY = new Parts(new Object[0]);

    private final Object[] values;

    private Parts(Object[] values) {
        this.values = values;
    }

    /** The value compiled for {@code key}, or the key's absent value. */
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        Object value = key.index < values.length ? values[key.index] : null;
        return value == null ? key.absent : (T) value;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects the parts of one snapshot or route while it compiles. Not thread-safe. */
    public static final class Builder {
        private Object[] values = new Object[8];

        private Builder() {
        }

        /** Puts {@code value} under {@code key}; a key is filled once. */
        public <T> Builder put(Key<T> key, T value) {
            Objects.requireNonNull(value, "value");
            if (key.index >= values.length) {
                values = Arrays.copyOf(values, Math.max(key.index + 1, values.length * 2));
            }
            if (values[key.index] != null) {
                throw new IllegalStateException("part " + key + " is compiled twice");
            }
            values[key.index] = value;
            return this;
        }

        public Parts build() {
            return new Parts(values.clone());
        }
    }
}
