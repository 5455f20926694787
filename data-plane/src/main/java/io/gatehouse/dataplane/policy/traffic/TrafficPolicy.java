package io.gatehouse.dataplane.policy.traffic;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.traffic.TrafficLedger;
import io.gatehouse.dataplane.traffic.VersionTraffic;
import io.gatehouse.proto.config.v1.Route;

import java.util.ArrayList;
import java.util.List;

/**
 * First step of the chain: counts every request under the config version and route that served
 * it (requests, 5xx, gateway errors, latency bucket), for the load reports rollouts are gated on.
 *
 * <p>Per request: four loads (the version's counters from the snapshot's parts, the route from the
 * exchange, the route's position from its parts, the route's counters: a volatile read), one
 * {@code System.nanoTime()}, a bucket scan of a few comparisons and one {@code LongAdder} increment
 * (two for a 5xx, three for a gateway error). No lock, no map lookup, no allocation after a route's
 * first request. It counts whatever else is switched off (per-request telemetry off still counts).
 *
 * <p>Its compiler attaches the version's counters ({@link TrafficLedger#forVersion}) to each
 * snapshot. Thread-safe.
 */
public final class TrafficPolicy implements Policy {

    /** Gateway errors that mean "the upstream failed": what a health gate compares across versions. */
    private static final boolean[] UPSTREAM_FAILURE = new boolean[GatewayError.values().length];

    static {
        for (GatewayError error : new GatewayError[] {GatewayError.UPSTREAM_UNAVAILABLE, GatewayError.UPSTREAM_TIMEOUT,
                GatewayError.UPSTREAM_ERROR, GatewayError.CIRCUIT_OPEN, GatewayError.UPSTREAM_OVERLOADED,
                GatewayError.UPSTREAM_FORBIDDEN}) {
            UPSTREAM_FAILURE[error.ordinal()] = true;
        }
    }

    private final PolicyCompiler compiler;

    public TrafficPolicy(TrafficLedger ledger) {
        this.compiler = (snapshot, gateway, routes) -> {
            List<String> ids = new ArrayList<>(snapshot.getConfig().getRoutesCount());
            for (Route route : snapshot.getConfig().getRoutesList()) {
                ids.add(route.getId());
            }
            gateway.put(VersionTraffic.PART, ledger.forVersion(snapshot.getVersion(), ids));
            for (int i = 0; i < routes.size(); i++) {
                routes.get(i).put(VersionTraffic.ROUTE, i);
            }
        };
    }

    @Override
    public PolicyCompiler compiler() {
        return compiler;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        VersionTraffic traffic = exchange.config().get(VersionTraffic.PART);
        if (traffic == null) { // no snapshot in force: there is no version to count under
            next.proceed(exchange);
            return;
        }
        int status = 500;
        boolean upstreamFailed = false;
        try {
            next.proceed(exchange);
            status = exchange.response().status().code();
        } catch (GatewayException e) {
            // A gRPC client gets this as HTTP 200 with grpc-status; it counts as the status it stands for.
            status = e.error().status();
            upstreamFailed = UPSTREAM_FAILURE[e.error().ordinal()];
            throw e;
        } catch (RuntimeException | Error e) {
            // Before the status line: the handler answers 500. After it: the client got that status and
            // a cut body.
            status = exchange.response().isSent() ? exchange.response().status().code() : 500;
            throw e;
        } finally {
            record(exchange, traffic, status, upstreamFailed);
        }
    }

    private static void record(Exchange exchange, VersionTraffic traffic, int status, boolean upstreamFailed) {
        CompiledRoute route = CompiledRoute.of(exchange);
        Integer index = route == null ? null : route.parts().get(VersionTraffic.ROUTE);
        traffic.record(index == null ? traffic.noRoute() : index, status, upstreamFailed,
                System.nanoTime() - exchange.startNanos());
    }
}
