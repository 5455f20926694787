package io.gatehouse.dataplane.policy.cors;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.policy.SnapshotMemo;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.Route;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerResponse;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CORS per route ({@code routes[].cors}). A preflight ({@code OPTIONS} with {@code Origin} and
 * {@code Access-Control-Request-Method}) is answered here with 204 and never forwarded: with the
 * allow headers when the origin and method are allowed, without them otherwise (the browser then
 * blocks the call). Actual requests from an allowed origin get {@code Access-Control-Allow-Origin}
 * (the origin echoed; {@code *} only when "*" is configured without credentials),
 * {@code Access-Control-Allow-Credentials}, {@code Access-Control-Expose-Headers}; every response of
 * a CORS route gets {@code Vary: Origin}. Runs after IP access, before rate limiting and
 * authentication (preflights carry no credentials). Thread-safe; compiled once per snapshot.
 */
public final class CorsHandler implements Policy {

    static final HeaderName REQUEST_METHOD = HeaderNames.create("Access-Control-Request-Method");

    /** A route's CORS settings, compiled. */
    record Rules(Set<String> origins, boolean anyOrigin, Set<String> methods, String allowMethods,
                 String allowHeaders, String exposeHeaders, boolean credentials, long maxAgeSeconds) {

        static Rules of(CorsPolicy cors) {
            Set<String> origins = new LinkedHashSet<>();
            boolean any = false;
            for (String origin : cors.getAllowOriginsList()) {
                if (origin.equals("*")) {
                    any = true;
                } else {
                    origins.add(normalize(origin));
                }
            }
            Set<String> methods = new LinkedHashSet<>();
            for (HttpMethod method : cors.getAllowMethodsList()) {
                methods.add(method.name());
            }
            if (methods.isEmpty()) {
                methods.addAll(Set.of("GET", "HEAD", "POST")); // CORS "simple" methods
            }
            return new Rules(Set.copyOf(origins), any, Set.copyOf(methods), String.join(", ", methods),
                    String.join(", ", cors.getAllowHeadersList()), String.join(", ", cors.getExposeHeadersList()),
                    cors.getAllowCredentials(), cors.hasMaxAge() ? Durations.toSeconds(cors.getMaxAge()) : -1);
        }

        boolean allows(String origin) {
            return anyOrigin || origins.contains(normalize(origin));
        }

        String allowOriginValue(String origin) {
            return anyOrigin && !credentials ? "*" : origin;
        }
    }

    private final SnapshotMemo<Map<String, Rules>> rules = new SnapshotMemo<>(CorsHandler::compile);

    static Map<String, Rules> compile(CompiledSnapshot snapshot) {
        Map<String, Rules> out = new HashMap<>();
        for (Route route : snapshot.snapshot().getConfig().getRoutesList()) {
            if (route.hasCors()) {
                out.put(route.getId(), Rules.of(route.getCors()));
            }
        }
        return Map.copyOf(out);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        Rules route = exchange.route() == null || exchange.snapshot() == null ? null
                : rules.get(exchange.snapshot()).get(exchange.route().id());
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

    private static void preflight(Exchange exchange, Rules route, String origin) {
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

    private static void actual(ResponseHeaders response, Rules route, Optional<String> origin) {
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

    /** Origins compare case-insensitively on scheme and host; a trailing slash is ignored. */
    static String normalize(String origin) {
        String s = origin.strip().toLowerCase(Locale.ROOT);
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
