package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.upstream.PooledConnection;

/**
 * One upstream attempt that got its response headers: the response, the guard that keeps enforcing
 * the idle timeout while its body is relayed, and the keep-alive connection it came on (null for
 * HTTP/2). Closing it releases them: the connection goes back to the pool or is closed.
 * Owned by the request's thread.
 */
record Attempt(UpstreamResponse response, AttemptGuard guard, PooledConnection pooled) implements AutoCloseable {

    /** The response goes to the client without a body; see {@link PooledConnection#responseHadNoBody}. */
    void relayedNoBody() {
        if (pooled != null) {
            pooled.responseHadNoBody();
        }
    }

    @Override
    public void close() {
        try {
            response.close();
        } finally {
            guard.close();
        }
    }
}
