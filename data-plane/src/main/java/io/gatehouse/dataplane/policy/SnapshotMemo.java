package io.gatehouse.dataplane.policy;

import io.gatehouse.dataplane.snapshot.CompiledSnapshot;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A value a policy compiles from a snapshot once (matchers, limiter specs) and reuses for every
 * request served by that snapshot; recompiled when the data plane swaps snapshots. Lets edge
 * policies keep their compiled settings to themselves instead of widening {@code CompiledRoute}.
 *
 * <p>Thread-safe and lock-free: two requests racing on a fresh snapshot may both compile (the
 * compile function must be pure); one result wins.
 *
 * @param <T> the compiled value (immutable)
 */
public final class SnapshotMemo<T> {

    private record Entry<T>(CompiledSnapshot snapshot, T value) {
    }

    private final Function<CompiledSnapshot, T> compile;
    private final AtomicReference<Entry<T>> current = new AtomicReference<>();

    public SnapshotMemo(Function<CompiledSnapshot, T> compile) {
        this.compile = compile;
    }

    /** The value for {@code snapshot} (compared by identity), compiling it on first use. */
    public T get(CompiledSnapshot snapshot) {
        Entry<T> entry = current.get();
        if (entry != null && entry.snapshot() == snapshot) {
            return entry.value();
        }
        T value = compile.apply(snapshot);
        current.set(new Entry<>(snapshot, value));
        return value;
    }
}
