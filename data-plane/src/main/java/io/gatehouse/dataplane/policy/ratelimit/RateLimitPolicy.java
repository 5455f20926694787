package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.policy.KeyParts;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.helidon.http.HeaderNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Enforces {@code routes[].rate_limiting} at one of its two chain positions: limits keyed by client
 * IP, a header or the whole route run {@link Position#BEFORE_AUTHENTICATION} (cheap rejection before
 * any token is verified); limits keyed by the identity (API key, consumer, tenant, JWT subject or
 * claim) or filtered by plan run {@link Position#AFTER_AUTHENTICATION}. All limits of a position are
 * decided in one Redis round trip by {@link RateLimiter}.
 *
 * <p>A limit whose key has no value for the request (no identity, header absent, plan not listed)
 * does not apply to it. Over the limit: 429 {@code rate_limited} with {@code Retry-After} and the
 * IETF draft {@code RateLimit-Limit/-Remaining/-Reset} headers (seconds); with
 * {@code rate_limiting.response_headers} allowed responses carry the RateLimit-* headers too (the
 * tightest limit of the request). Thread-safe.
 *
 * <p>Redis keys: {@code gh:rl:{<route id>}:<limit name>:<hash of the key value>}; identity key values
 * are hashed together with their source ({@link Identity#namespaced}). The hash tag is
 * the route id because every limit of one request must live in one Redis Cluster slot for the script
 * to touch them atomically, and the route is the only part all of a request's limits share (their
 * key values differ: an IP, a tenant, ...). Trade-off: a route's counters all live on one shard.
 */
public final class RateLimitPolicy implements Policy {

    /** Where in the chain an instance runs. */
    public enum Position { BEFORE_AUTHENTICATION, AFTER_AUTHENTICATION }

    /** The tightest limit state seen so far for the exchange, for the response headers. */
    private static final Exchange.Key<Decision.LimitState> HEADLINE = Exchange.Key.named("ratelimit.headline");

    private final Position position;
    private final RateLimiter limiter;

    public RateLimitPolicy(Position position, RateLimiter limiter) {
        this.position = position;
        this.limiter = limiter;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute compiled = CompiledRoute.of(exchange);
        if (compiled == null) {
            next.proceed(exchange);
            return;
        }
        RouteLimits route = compiled.parts().get(RateLimitCompiler.ROUTE);
        List<LimitSpec> specs = route.at(position);
        if (specs.isEmpty()) {
            next.proceed(exchange);
            return;
        }
        Optional<Identity> identity = exchange.attribute(Identity.KEY);
        List<LimitCheck> checks = new ArrayList<>(specs.size());
        for (LimitSpec spec : specs) {
            if (!spec.plans().isEmpty() && (identity.isEmpty() || !spec.plans().contains(identity.get().plan()))) {
                continue;
            }
            keyValue(spec, exchange, identity).ifPresent(value -> checks.add(new LimitCheck(spec,
                    "gh:rl:{" + compiled.id() + "}:" + spec.name() + ":" + hash(value))));
        }
        if (checks.isEmpty()) {
            next.proceed(exchange);
            return;
        }
        Decision decision = limiter.decide(compiled.id(), checks);
        Decision.LimitState headline = decision.headline();
        if (!decision.allowed()) {
            GatewayException rejection = GatewayError.RATE_LIMITED.exception("rate limit exceeded")
                    .withHeader("Retry-After", Long.toString(seconds(headline.retryMillis())));
            headers(headline).forEach(rejection::withHeader);
            throw rejection;
        }
        if (route.responseHeaders()) {
            Optional<Decision.LimitState> previous = exchange.attribute(HEADLINE);
            if (previous.isEmpty()) {
                exchange.onResponseHeaders(response -> setHeaders(response, exchange));
            }
            if (previous.isEmpty() || headline.remaining() < previous.get().remaining()) {
                exchange.attribute(HEADLINE, headline);
            }
        }
        next.proceed(exchange);
    }

    @Override
    public PolicyCompiler compiler() {
        return new RateLimitCompiler();
    }

    private static void setHeaders(ResponseHeaders response, Exchange exchange) {
        exchange.attribute(HEADLINE).ifPresent(state -> headers(state).forEach(response::set));
    }

    private static Map<String, String> headers(Decision.LimitState state) {
        return Map.of("RateLimit-Limit", Long.toString(state.limit()),
                "RateLimit-Remaining", Long.toString(state.remaining()),
                "RateLimit-Reset", Long.toString(seconds(state.resetMillis())));
    }

    private static long seconds(long millis) {
        return Math.max(0, (millis + 999) / 1000);
    }

    static Optional<String> keyValue(LimitSpec spec, Exchange exchange, Optional<Identity> identity) {
        return switch (spec.key()) {
            case CLIENT_IP -> Optional.of(exchange.clientAddress().getHostAddress());
            case ROUTE -> Optional.of("route");
            case HEADER -> exchange.request().headers().first(HeaderNames.create(spec.keyArgument()))
                    .filter(v -> !v.isEmpty());
            case API_KEY -> identity.flatMap(i -> namespaced(i, i.keyId()));
            case CONSUMER -> identity.flatMap(i -> namespaced(i, i.consumer()));
            case TENANT -> identity.flatMap(i -> namespaced(i, i.tenant()));
            case JWT_SUBJECT -> identity.filter(i -> i.method() == Identity.Method.JWT)
                    .flatMap(i -> namespaced(i, i.subject()));
            case JWT_CLAIM -> identity.flatMap(i -> i.claim(spec.keyArgument()).flatMap(v -> namespaced(i, v)));
        };
    }

    /**
     * An identity value qualified by its source (credential kind, JWT provider and issuer): the same
     * {@code sub}, tenant or claim from two providers, or a JWT subject and an API key consumer of the
     * same name, count in different buckets. Empty values have no bucket (the limit does not apply).
     */
    private static Optional<String> namespaced(Identity identity, String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(identity.namespaced(value));
    }

    /** Key values are hashed: fixed length, no secrets (API key ids, tokens' claims) in Redis key names. */
    static String hash(String value) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(KeyParts.sha256(value), 12));
    }
}
