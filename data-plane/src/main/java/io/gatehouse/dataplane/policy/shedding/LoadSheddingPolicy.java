package io.gatehouse.dataplane.policy.shedding;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.GatewayError;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Concurrency limits without a queue: a request over the data plane's
 * {@code settings.max_concurrent_requests} or its route's {@code max_concurrent_requests} gets
 * 503 {@code overloaded} at once, so overload never turns into queueing delay for everyone.
 * Counters are atomics held by this (long-lived) policy, so they survive snapshot swaps; a request
 * is counted from admission until the rest of the chain returns. Thread-safe and lock-free.
 */
public final class LoadSheddingPolicy implements Policy {

    /** {@code settings.max_concurrent_requests} (0 = unlimited): a gateway-wide part. */
    static final Parts.Key<Integer> GLOBAL_LIMIT = Parts.Key.of("shedding.global", 0);

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<String, AtomicInteger> perRoute = new ConcurrentHashMap<>();
    private final LongAdder shed = new LongAdder();

    @Override
    public void handle(Exchange exchange, Next next) {
        int globalLimit = exchange.config().get(GLOBAL_LIMIT);
        int routeLimit = CompiledRoute.of(exchange).limits().maxConcurrentRequests();
        if (globalLimit == 0 && routeLimit == 0) {
            next.proceed(exchange);
            return;
        }
        if (globalLimit > 0 && inFlight.incrementAndGet() > globalLimit) {
            inFlight.decrementAndGet();
            shed.increment();
            throw GatewayError.OVERLOADED.exception("the gateway is at its concurrency limit; retry later");
        }
        AtomicInteger routeCounter = null;
        try {
            if (routeLimit > 0) {
                routeCounter = perRoute.computeIfAbsent(CompiledRoute.of(exchange).id(), id -> new AtomicInteger());
                if (routeCounter.incrementAndGet() > routeLimit) {
                    routeCounter.decrementAndGet();
                    routeCounter = null;
                    shed.increment();
                    throw GatewayError.OVERLOADED.exception("route '" + CompiledRoute.of(exchange).id()
                            + "' is at its concurrency limit; retry later");
                }
            }
            next.proceed(exchange);
        } finally {
            if (routeCounter != null) {
                routeCounter.decrementAndGet();
            }
            if (globalLimit > 0) {
                inFlight.decrementAndGet();
            }
        }
    }

    /** Requests refused with 503 overloaded since start (data plane and route limits). */
    public LongAdder shed() {
        return shed;
    }

    /** Requests currently admitted under the data plane limit (only counted while one is set). */
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public PolicyCompiler compiler() {
        return (snapshot, gateway, routes) -> {
            int limit = snapshot.getConfig().getSettings().getMaxConcurrentRequests();
            if (limit < 0) {
                throw new IllegalArgumentException("settings.maxConcurrentRequests: must be 0 (unlimited) or more");
            }
            gateway.put(GLOBAL_LIMIT, limit);
        };
    }
}
