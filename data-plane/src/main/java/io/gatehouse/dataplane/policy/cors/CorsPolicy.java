package io.gatehouse.dataplane.policy.cors;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerResponse;

import java.util.Locale;
import java.util.Optional;

/**
 * CORS per route ({@code routes[].cors}). A preflight ({@code OPTIONS} with {@code Origin} and
 * {@code Access-Control-Request-Method}) is answered here with 204 and never forwarded: with the
 * allow headers when the origin and method are allowed, without them otherwise (the browser then
 * blocks the call). Actual requests from an allowed origin get {@code Access-Control-Allow-Origin}
 * (the origin echoed; {@code *} only when "*" is configured without credentials),
 * {@code Access-Control-Allow-Credentials}, {@code Access-Control-Expose-Headers}; every response of
 * a CORS route gets {@code Vary: Origin}. Runs after IP access, before rate limiting and
 * authentication (preflights carry no credentials). Thread-safe; the settings are compiled with the
 * snapshot ({@link CorsCompiler}).
 */
public final class CorsPolicy implements Policy {

    static final HeaderName REQUEST_METHOD = HeaderNames.create("Access-Control-Request-Method");

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute compiled = CompiledRoute.of(exchange);
        CorsRules route = compiled == null ? null : compiled.parts().get(CorsCompiler.ROUTE);
        if (route == null) {
            next.proceed(exchange);
            return;
        }
        Optional<String> origin = exchange.request().headers().first(HeaderNames.ORIGIN);
        if (origin.isPresent() && exchange.request().prologue().method() == Method.OPTIONS
                && exchange.request().headers().contains(REQUEST_METHOD)) {
            preflight(exchange, route, origin.get());
            return;
        }
        exchange.onResponseHeaders(response -> actual(response, route, origin));
        next.proceed(exchange);
    }

    private static void preflight(Exchange exchange, CorsRules route, String origin) {
        ServerResponse response = exchange.response();
        response.status(204);
        ResponseHeaders headers = new ResponseHeaders(response, 204);
        headers.add("Vary", "Origin");
        String method = exchange.request().headers().first(REQUEST_METHOD).orElse("").strip().toUpperCase(Locale.ROOT);
        if (route.allows(origin) && route.methods().contains(method)) {
            headers.set("Access-Control-Allow-Origin", route.allowOriginValue(origin));
            headers.set("Access-Control-Allow-Methods", route.allowMethods());
            // Only the configured headers; requested ones are never reflected blindly.
            if (!route.allowHeaders().isEmpty()) {
                headers.set("Access-Control-Allow-Headers", route.allowHeaders());
            }
            if (route.credentials()) {
                headers.set("Access-Control-Allow-Credentials", "true");
            }
            if (route.maxAgeSeconds() >= 0) {
                headers.set("Access-Control-Max-Age", Long.toString(route.maxAgeSeconds()));
            }
        }
        headers.set("x-request-id", exchange.requestId());
        exchange.runResponseHeaderHooks(headers);
        response.send();
    }

    private static void actual(ResponseHeaders response, CorsRules route, Optional<String> origin) {
        response.add("Vary", "Origin");
        if (origin.isEmpty() || !route.allows(origin.get())) {
            return;
        }
        response.set("Access-Control-Allow-Origin", route.allowOriginValue(origin.get()));
        if (route.credentials()) {
            response.set("Access-Control-Allow-Credentials", "true");
        }
        if (!route.exposeHeaders().isEmpty()) {
            response.set("Access-Control-Expose-Headers", route.exposeHeaders());
        }
    }

    @Override
    public PolicyCompiler compiler() {
        return new CorsCompiler();
    }
}
