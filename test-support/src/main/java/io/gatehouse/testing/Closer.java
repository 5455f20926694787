package io.gatehouse.testing;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Closes what a test started along the way (a second server, a channel, a restarted process), newest
 * first, when the test ends, passed or failed: the one-line replacement for a list of closeables and a
 * hand-written {@code @AfterEach} loop.
 *
 * <pre>{@code
 * @RegisterExtension final Closer closer = new Closer();
 * ...
 * RunningControlPlane other = closer.track(RunningControlPlane.start(db));
 * }</pre>
 */
public final class Closer extends Fixture {

    private final Deque<AutoCloseable> tracked = new ArrayDeque<>();

    /** Closes {@code closeable} when the test (or, on a static field, the class) ends; returns it. */
    public synchronized <T extends AutoCloseable> T track(T closeable) {
        tracked.push(closeable);
        return closeable;
    }

    /** Runs {@code action} when the test ends, e.g. a channel's shutdownNow. */
    public void onClose(AutoCloseable action) {
        track(action);
    }

    @Override
    protected void open() {
    }

    /** Closes everything tracked, newest first; the first failure is thrown after all were tried. */
    @Override
    protected synchronized void release() throws Exception {
        Exception failure = null;
        while (!tracked.isEmpty()) {
            try {
                tracked.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "Closer";
    }
}
