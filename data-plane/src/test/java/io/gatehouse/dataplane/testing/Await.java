package io.gatehouse.dataplane.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds or a deadline passes (never a fixed sleep as synchronization). */
public final class Await {

    private Await() {
    }

    /** Waits up to {@code timeout} for {@code condition}; fails naming {@code what}. Returns the time taken. */
    public static Duration until(String what, Duration timeout, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Waits (15 s at most) until {@code supplier} gives a value {@code accept} takes, and returns it. */
    public static <T> T value(String what, java.util.function.Supplier<T> supplier,
                              java.util.function.Predicate<T> accept) {
        java.util.concurrent.atomic.AtomicReference<T> last = new java.util.concurrent.atomic.AtomicReference<>();
        until(what, () -> {
            last.set(supplier.get());
            return accept.test(last.get());
        });
        return last.get();
    }

    public static Duration until(String what, BooleanSupplier condition) {
        return until(what, Duration.ofSeconds(15), condition);
    }
}
