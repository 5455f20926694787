package io.gatehouse.controlplane.status;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The fan-out behind {@code GET /api/live} (Server-Sent Events). At most {@code maxSubscribers} at
 * once (one more gets 503); each has a queue of {@code queueCapacity} events. Publishing never
 * blocks: an event that does not fit in a subscriber's queue means that subscriber reads slower than
 * the fleet is sampled, and it is dropped (its writer interrupted, which closes its socket) instead
 * of being buffered without bound. Memory: subscribers × queue capacity × one tick event (a few KiB;
 * the events are shared, not copied). A subscriber with nothing to read gets a comment line every
 * {@code heartbeat} so proxies and browsers keep the stream. Before every write the subscriber is
 * checked against {@code stillAuthorized} (a revoked token ends the stream). Thread-safe.
 */
final class LiveHub implements AutoCloseable {

    private final int maxSubscribers;
    private final int queueCapacity;
    private final Duration heartbeat;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger slots = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    LiveHub(int maxSubscribers, int queueCapacity, Duration heartbeat) {
        this.maxSubscribers = maxSubscribers;
        this.queueCapacity = queueCapacity;
        this.heartbeat = heartbeat;
    }

    /** One SSE event as it goes on the wire; {@code data} must be one line (compact JSON is). */
    static byte[] event(String name, String data) {
        if (data.indexOf('\n') >= 0 || data.indexOf('\r') >= 0 || name.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("an SSE field cannot contain a line break");
        }
        return ("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** A slot for a new subscriber, or empty when all are taken (or the hub is closed). */
    Optional<Subscriber> subscribe() {
        while (true) {
            int n = slots.get();
            if (closed || n >= maxSubscribers) {
                return Optional.empty();
            }
            if (slots.compareAndSet(n, n + 1)) {
                Subscriber s = new Subscriber();
                subscribers.add(s);
                return Optional.of(s);
            }
        }
    }

    /** Queues an event for every subscriber; drops those whose queue is full. Never blocks. */
    void publish(byte[] event) {
        for (Subscriber s : subscribers) {
            if (!s.queue.offer(event)) {
                s.drop();
            }
        }
    }

    int subscribers() {
        return slots.get();
    }

    /** Subscribers dropped for reading too slowly, since start. */
    long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        closed = true;
        for (Subscriber s : subscribers) {
            s.interrupt();
        }
    }

    /** One connected reader; {@link #serve} runs on the exchange's own (virtual) thread. */
    final class Subscriber {
        private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(queueCapacity);
        private volatile Thread writer;
        private volatile boolean droppedSlow;
        private final AtomicInteger released = new AtomicInteger();

        /**
         * Writes {@code first} (the history), then queued events and heartbeats, until the client goes
         * away, it is dropped, it is no longer authorized, or the hub closes. Always releases the slot.
         */
        void serve(OutputStream out, byte[] first, BooleanSupplier stillAuthorized) {
            writer = Thread.currentThread();
            try {
                if (droppedSlow || closed) {
                    return;
                }
                out.write(first);
                out.flush();
                while (!droppedSlow && !closed && !Thread.currentThread().isInterrupted()) {
                    byte[] next = queue.poll(heartbeat.toMillis(), TimeUnit.MILLISECONDS);
                    // Before every write, ticks and heartbeats alike (ticks come every few seconds,
                    // so an idle-only check would never run); the caller's check may throttle itself.
                    if (!stillAuthorized.getAsBoolean()) {
                        return;
                    }
                    if (next == null) {
                        out.write(": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII));
                    } else {
                        out.write(next);
                    }
                    out.flush();
                }
            } catch (IOException e) {
                // The client went away, or its socket was closed by drop(): nothing to report.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                release();
            }
        }

        boolean wasDropped() {
            return droppedSlow;
        }

        private void drop() {
            if (!droppedSlow) {
                droppedSlow = true;
                dropped.incrementAndGet();
                queue.clear();
                // A writer blocked in a socket write (the client stopped reading) is interrupted: the
                // exchange's channel is interruptible, so the write fails and the connection closes.
                interrupt();
            }
        }

        private void interrupt() {
            Thread w = writer;
            if (w != null) {
                w.interrupt();
            }
        }

        private void release() {
            if (released.compareAndSet(0, 1)) {
                subscribers.remove(this);
                queue.clear();
                slots.decrementAndGet();
            }
        }
    }
}
