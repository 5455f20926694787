package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.request.BadRequestTargetException;
import io.gatehouse.dataplane.request.RequestRules;
import io.gatehouse.dataplane.request.RequestTarget;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.helidon.http.Header;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The hot-path end of shadow evaluation: called once per request after the config in force decided
 * it, it hands a share of requests ({@code sample_ratio}) to the evaluator's bounded queue.
 *
 * <p>Cost: without a shadow run, one volatile read and nothing else (no allocation). With one, a
 * random draw per request, and for the sampled ones a copy of the headers and one queue offer; a full
 * queue drops the sample (counted) instead of waiting. Thread-safe; called on request threads.
 */
public final class ShadowSampler {

    private static final Logger LOG = Logger.getLogger(ShadowSampler.class.getName());

    private final BlockingQueue<SampledRequest> queue;
    /** Samples queued or being evaluated; the evaluator counts its own down ({@link #done}). */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Samples handed to the queue since start, all runs. */
    private final LongAdder captured = new LongAdder();
    /** The run whose candidate is compiled and being evaluated; null = no shadow (the hot-path read). */
    private volatile ShadowRun run;

    ShadowSampler(BlockingQueue<SampledRequest> queue) {
        this.queue = queue;
    }

    /** A sampler that never samples (handlers built without an evaluator: tests). */
    public static ShadowSampler off() {
        return new ShadowSampler(new java.util.concurrent.ArrayBlockingQueue<>(1));
    }

    void start(ShadowRun run) {
        this.run = run;
    }

    void stop() {
        this.run = null;
    }

    /**
     * @param exchange the request, after the chain ran (its route, canonical target, client address)
     * @param served   the compiled snapshot the request was served with; null when there was none
     */
    public void sample(Exchange exchange, CompiledSnapshot served) {
        ShadowRun current = run;
        if (current == null) {
            return;
        }
        if (served == null || ThreadLocalRandom.current().nextDouble() >= current.ratio()) {
            return;
        }
        try {
            capture(current, exchange, served);
        } catch (RuntimeException e) {
            // The request is answered already; shadow evaluation must never fail it. Counted as dropped.
            current.dropped();
            LOG.log(Level.FINE, "a request could not be captured for shadow evaluation", e);
        }
    }

    private void capture(ShadowRun current, Exchange exchange, CompiledSnapshot served) {
        String path = exchange.path();
        String host = exchange.host();
        if (path == null) {
            // Refused before routing (no route, or earlier): read the target as route lookup would,
            // so a candidate that adds a route is seen taking these requests.
            try {
                RequestTarget target = RequestTarget.of(exchange.request(), served.parts().get(RequestRules.PART).paths());
                path = target.path();
                host = target.authority().host();
            } catch (BadRequestTargetException | RuntimeException unreadable) {
                return; // a target no config can route: nothing to compare
            }
        }
        CompiledRoute route = CompiledRoute.of(exchange);
        SampledRequest sample = new SampledRequest(current, served, route == null ? "" : route.id(),
                exchange.request().prologue().method(), host, path, copy(exchange.request().headers()),
                exchange.request().query().rawValue(), exchange.clientAddress(), exchange.tls());
        outstanding.incrementAndGet();
        if (queue.offer(sample)) {
            captured.increment();
        } else {
            outstanding.decrementAndGet();
            current.dropped();
        }
    }

    /**
     * The headers with their values as strings: the request's own may be views of the connection's
     * buffers, which the next request on the connection reuses before the evaluator reads them.
     */
    private static Headers copy(Headers headers) {
        WritableHeaders<?> copy = WritableHeaders.create();
        for (Header header : headers) {
            copy.set(HeaderValues.create(header.headerName(), header.allValues()));
        }
        return copy;
    }

    /** The evaluator finished (or discarded) {@code samples} taken from the queue. */
    void done(int samples) {
        outstanding.addAndGet(-samples);
    }

    /** Whether no sample is queued or being evaluated. */
    boolean idle() {
        return outstanding.get() == 0;
    }

    /** Samples handed to the evaluator since start (all runs). */
    long captured() {
        return captured.sum();
    }
}
