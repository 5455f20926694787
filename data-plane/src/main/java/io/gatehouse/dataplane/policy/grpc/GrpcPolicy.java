package io.gatehouse.dataplane.policy.grpc;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;

import java.time.Duration;
import java.util.Optional;

/**
 * The chain step of gRPC routes ({@code routes[].grpc}), right after route lookup: a call must be an
 * HTTP/2 POST with a {@code application/grpc} content type (anything else cannot be relayed as gRPC:
 * 400, answered as INVALID_ARGUMENT), and its {@code grpc-timeout} becomes the call's deadline,
 * never longer than the route's request timeout. The forwarder reads both through
 * {@link #isGrpc} and {@link #deadline}. Other routes pass untouched. Stateless; thread-safe.
 */
public final class GrpcPolicy implements Policy {

    /** Whether the route is a gRPC route: a per-route part. */
    static final Parts.Key<Boolean> ROUTE = Parts.Key.of("grpc.route", Boolean.FALSE);
    private static final Exchange.Key<Duration> DEADLINE = Exchange.Key.named("grpc.deadline");
    static final HeaderName GRPC_TIMEOUT = HeaderNames.create("grpc-timeout");

    @Override
    public void handle(Exchange exchange, Next next) {
        if (!isGrpc(exchange)) {
            next.proceed(exchange);
            return;
        }
        var request = exchange.request();
        if (!"2.0".equals(request.prologue().protocolVersion())) {
            throw GatewayError.BAD_REQUEST.exception("gRPC needs HTTP/2 (h2c with prior knowledge, or h2 over TLS)");
        }
        if (request.prologue().method() != Method.POST || !GrpcContentType.is(request.headers())) {
            throw GatewayError.BAD_REQUEST.exception("a gRPC call is a POST with content-type application/grpc");
        }
        Duration limit = CompiledRoute.of(exchange).timeouts().request();
        Duration deadline = limit;
        Optional<String> timeout = request.headers().first(GRPC_TIMEOUT);
        if (timeout.isPresent()) {
            Duration asked = GrpcTimeout.parse(timeout.get()).orElseThrow(() ->
                    GatewayError.BAD_REQUEST.exception("grpc-timeout is not 1-8 digits and a unit (H, M, S, m, u, n)"));
            deadline = asked.compareTo(limit) < 0 ? asked : limit;
        }
        exchange.attribute(DEADLINE, deadline);
        next.proceed(exchange);
    }

    /** Whether the exchange's route is a gRPC route (false before route lookup). */
    public static boolean isGrpc(Exchange exchange) {
        return exchange.routed() && CompiledRoute.of(exchange).parts().get(ROUTE);
    }

    /** The call's deadline (grpc-timeout capped by the route's request timeout), measured from now-ish. */
    public static Duration deadline(Exchange exchange) {
        return exchange.attribute(DEADLINE).orElseGet(() -> CompiledRoute.of(exchange).timeouts().request());
    }

    @Override
    public PolicyCompiler compiler() {
        return COMPILER;
    }

    private static final PolicyCompiler COMPILER = (snapshot, gateway, routes) -> {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasGrpc() && config.getRoutes(i).getGrpc().getEnabled()) {
                routes.get(i).put(ROUTE, Boolean.TRUE);
            }
        }
    };
}
