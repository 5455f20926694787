package io.gatehouse.dataplane.proxy;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Relays one gRPC call between the client's HTTP/2 stream and a grpc-java {@link ClientCall} to the
 * upstream, as opaque messages: the client's length-prefixed messages are read one at a time and sent
 * when the call is ready (flow control both ways: one upstream message is requested after the
 * previous one was written to the client), so memory per call is bounded by one message each way.
 *
 * <p>Threads: {@link #start} runs the request side on a virtual thread of its own (client → upstream,
 * the only caller of {@code sendMessage}/{@code halfClose}); the response side is the caller's thread,
 * which takes the upstream's events from a queue ({@link #next}) and writes them ({@link GrpcForwarder}).
 * grpc-java's listener callbacks only enqueue. A request-side failure (a compressed or oversized
 * message, a broken client stream) cancels the call; the status the client then gets is
 * {@link #clientError()} when set.
 */
final class GrpcRelay extends ClientCall.Listener<byte[]> {

    /** What the upstream sent, in order. */
    sealed interface Event {
        record Headers(Metadata headers) implements Event {
        }

        record Message(byte[] message) implements Event {
        }

        record Closed(Status status, Metadata trailers) implements Event {
        }
    }

    private final ClientCall<byte[], byte[]> call;
    private final long maxMessageBytes;
    /** Unbounded type, bounded use: at most headers, one requested message and the close. */
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private volatile boolean closed;
    private volatile Status clientError;
    private Thread requestSide;

    GrpcRelay(ClientCall<byte[], byte[]> call, long maxMessageBytes) {
        this.call = call;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Starts the call and the request side reading {@code client} (the client's request body). */
    void start(Metadata headers, InputStream client, String requestId) {
        call.start(this, headers);
        call.request(1);
        requestSide = Thread.ofVirtual().name("gatehouse-grpc-request-" + requestId).start(() -> pump(client));
    }

    /** The upstream's next event; waits. */
    Event next() throws InterruptedException {
        return events.take();
    }

    /** Asks the upstream for the next message (after the previous one reached the client). */
    void request() {
        lock.lock(); // ClientCall methods are not to be called concurrently
        try {
            call.request(1);
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the call (the client went away, or the gateway gives up). */
    void cancel(String why, Throwable cause) {
        lock.lock();
        try {
            call.cancel(why, cause);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the request side once the call ended. */
    void finish() {
        closed = true;
        if (requestSide != null) {
            requestSide.interrupt();
        }
    }

    /** Why the request side cancelled the call, as the status for the client; null when it did not. */
    Status clientError() {
        return clientError;
    }

    // --- client -> upstream (request-side thread) ---------------------------------------------------

    private void pump(InputStream client) {
        try (client) {
            while (!closed) {
                byte[] prefix = client.readNBytes(5);
                if (prefix.length == 0) {
                    halfClose();
                    return;
                }
                if (prefix.length < 5) {
                    fail(Status.INTERNAL.withDescription("the request ended inside a message prefix"));
                    return;
                }
                if (prefix[0] != 0) {
                    // Relaying compressed messages would need the encoding negotiated on both legs;
                    // the gateway relays identity messages only (grpc-java clients do not compress by default).
                    fail(Status.UNIMPLEMENTED.withDescription("compressed request messages are not relayed by the gateway"));
                    return;
                }
                long length = ((prefix[1] & 0xFFL) << 24) | ((prefix[2] & 0xFFL) << 16) | ((prefix[3] & 0xFFL) << 8)
                        | (prefix[4] & 0xFFL);
                if (length > maxMessageBytes) {
                    fail(Status.RESOURCE_EXHAUSTED.withDescription("request message of " + length
                            + " bytes exceeds the route's limit of " + maxMessageBytes + " bytes"));
                    return;
                }
                byte[] message = client.readNBytes((int) length);
                if (message.length < length) {
                    fail(Status.INTERNAL.withDescription("the request ended inside a message"));
                    return;
                }
                if (!awaitReady()) {
                    return;
                }
                lock.lock();
                try {
                    call.sendMessage(message);
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                fail(Status.CANCELLED.withDescription("the client's request stream broke").withCause(e));
            }
        }
    }

    private void halfClose() {
        lock.lock();
        try {
            call.halfClose();
        } finally {
            lock.unlock();
        }
    }

    private void fail(Status status) {
        clientError = status;
        cancel(status.getDescription(), status.getCause());
    }

    /** Waits until the call can take a message without buffering; false once the call ended. */
    private boolean awaitReady() {
        lock.lock();
        try {
            while (!call.isReady()) {
                if (closed) {
                    return false;
                }
                ready.await(100, TimeUnit.MILLISECONDS); // re-checks closed as well
            }
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    // --- upstream -> queue (grpc-java's callback threads) -----------------------------------------

    @Override
    public void onHeaders(Metadata headers) {
        events.add(new Event.Headers(headers));
    }

    @Override
    public void onMessage(byte[] message) {
        events.add(new Event.Message(message));
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
        closed = true;
        events.add(new Event.Closed(status, trailers));
        signalReady();
    }

    @Override
    public void onReady() {
        signalReady();
    }

    private void signalReady() {
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
