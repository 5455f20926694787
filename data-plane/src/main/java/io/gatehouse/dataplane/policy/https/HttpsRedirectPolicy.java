package io.gatehouse.dataplane.policy.https;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.helidon.http.Status;

/**
 * A route's {@code https} block: on the plaintext listener, a route with {@code redirect} answers
 * {@code 308 Permanent Redirect} to the same host, path and query over HTTPS (308, not 301: the method
 * and body are kept, RFC 9110 §15.4.9); on the HTTPS listener, {@code hstsMaxAge} adds
 * {@code Strict-Transport-Security} to every response, gateway errors included. HSTS is never sent over
 * plaintext (RFC 6797 §7.2: browsers ignore it there). Runs right after route lookup and access rules,
 * before credentials are looked at, so secrets are not sent further over plaintext than the redirect.
 * Stateless; thread-safe.
 */
public final class HttpsRedirectPolicy implements Policy {

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute route = CompiledRoute.of(exchange);
        RouteHttps https = route == null ? null : route.parts().get(RouteHttps.ROUTE);
        if (https == null) {
            next.proceed(exchange);
            return;
        }
        if (exchange.tls().isEmpty()) {
            if (https.redirect()) {
                redirect(exchange, https);
                return;
            }
        } else if (https.hsts().isPresent()) {
            String value = https.hsts().get();
            exchange.onResponseHeaders(headers -> headers.set("Strict-Transport-Security", value));
        }
        next.proceed(exchange);
    }

    private static void redirect(Exchange exchange, RouteHttps https) {
        // The canonical host (routing's), never a raw Host header: no open redirect through odd authorities.
        String host = exchange.host();
        String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                + (https.redirectPort() == 443 ? "" : ":" + https.redirectPort());
        String query = exchange.request().query().rawValue();
        String location = "https://" + authority + exchange.request().path().rawPath()
                + (query.isEmpty() ? "" : "?" + query);
        var response = exchange.response();
        response.status(Status.PERMANENT_REDIRECT_308);
        ResponseHeaders headers = new ResponseHeaders(response, 308);
        headers.set("Location", location);
        headers.set("x-request-id", exchange.requestId());
        exchange.runResponseHeaderHooks(headers);
        response.send();
    }

    @Override
    public PolicyCompiler compiler() {
        return RouteHttps.COMPILER;
    }
}
