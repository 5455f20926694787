package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.chain.GatewayError;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The target chosen for one upstream attempt, with the bookkeeping around it: {@link #begin()}
 * takes a connection permit of the upstream's pool and counts the request in flight;
 * {@link #end(AttemptOutcome)} gives both back and reports the outcome to outlier detection.
 * Use in a try/finally: {@code begin(); try { attempt } finally { end(outcome); }}.
 *
 * <p>Owned by the request's thread; {@code end} is idempotent and a no-op without {@code begin}.
 */
public final class PickedTarget {

    private final UpstreamCluster cluster;
    private final Endpoint endpoint;
    private final Duration poolWait;
    private boolean begun;

    PickedTarget(UpstreamCluster cluster, Endpoint endpoint, Duration poolWait) {
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.poolWait = poolWait;
    }

    public UpstreamTarget target() {
        return endpoint.target();
    }

    /** The upstream the target belongs to. */
    public UpstreamCluster upstream() {
        return cluster;
    }

    /** The client settings (protocol, TLS) for this upstream. */
    public ClientSettings clientSettings() {
        return cluster.settings().client();
    }

    /**
     * Takes a connection permit (waiting up to the pool wait when all of the target's connections are
     * busy, as one of at most {@code max_pending} waiters of the upstream) and counts the request in flight.
     *
     * @throws io.gatehouse.dataplane.chain.GatewayException {@link GatewayError#UPSTREAM_OVERLOADED}
     *         when too many requests already wait or no permit came in time
     */
    public void begin() {
        if (begun) {
            return;
        }
        if (!endpoint.connections().tryAcquire()) {
            if (cluster.pending.incrementAndGet() > cluster.settings().maxPending()) {
                cluster.pending.decrementAndGet();
                throw overloaded("too many requests are waiting for a connection");
            }
            boolean acquired;
            try {
                acquired = endpoint.connections().tryAcquire(poolWait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                acquired = false;
            } finally {
                cluster.pending.decrementAndGet();
            }
            if (!acquired) {
                throw overloaded("no connection became free within " + poolWait.toMillis() + " ms");
            }
        }
        endpoint.health().inFlight.incrementAndGet();
        begun = true;
    }

    /** Ends the attempt: releases what {@link #begin()} took and reports {@code outcome}. */
    public void end(AttemptOutcome outcome) {
        if (!begun) {
            return;
        }
        begun = false;
        endpoint.health().inFlight.decrementAndGet();
        endpoint.connections().release();
        cluster.record(endpoint, outcome);
    }

    private io.gatehouse.dataplane.chain.GatewayException overloaded(String why) {
        return GatewayError.UPSTREAM_OVERLOADED.exception("upstream '" + cluster.name() + "' is overloaded: " + why);
    }
}
