package io.gatehouse.dataplane.policy.https;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HttpsPolicy;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A route's {@code https} block, compiled: whether the plaintext listener redirects, to which port,
 * and the {@code Strict-Transport-Security} value HTTPS responses carry. Immutable.
 *
 * @param redirect     answer 308 to plaintext requests
 * @param redirectPort port of the Location URL; 443 is left out of it
 * @param hsts         the header value, e.g. {@code max-age=31536000; includeSubDomains}; empty = none
 */
record RouteHttps(boolean redirect, int redirectPort, Optional<String> hsts) {

    static final Parts.Key<RouteHttps> ROUTE = Parts.Key.of("https.route", null);
    /** RFC 6797 leaves max-age open; two years is what the HSTS preload list asks for, and our ceiling. */
    static final Duration MAX_HSTS_AGE = Duration.ofDays(2 * 365);

    /** Compiles every {@code routes[].https}. */
    static final PolicyCompiler COMPILER = (Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) -> {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasHttps()) {
                routes.get(i).put(ROUTE, compile(config.getRoutes(i).getHttps(), "routes[" + i + "].https"));
            }
        }
    };

    static RouteHttps compile(HttpsPolicy https, String path) {
        if (https.getRedirectPort() > 65_535) {
            throw new IllegalArgumentException(path + ".redirectPort: must be 1..65535 (0 = 443)");
        }
        Optional<String> hsts = Optional.empty();
        if (https.hasHstsMaxAge()) {
            Duration age = Duration.ofSeconds(https.getHstsMaxAge().getSeconds(), https.getHstsMaxAge().getNanos());
            if (age.isNegative() || age.compareTo(MAX_HSTS_AGE) > 0) {
                throw new IllegalArgumentException(path + ".hstsMaxAge: must be 0s..730d, not "
                        + Durations.toString(https.getHstsMaxAge()));
            }
            hsts = Optional.of("max-age=" + age.toSeconds() + (https.getHstsIncludeSubdomains() ? "; includeSubDomains" : ""));
        } else if (https.getHstsIncludeSubdomains()) {
            throw new IllegalArgumentException(path + ".hstsIncludeSubdomains: needs hstsMaxAge");
        }
        return new RouteHttps(https.getRedirect(), https.getRedirectPort() == 0 ? 443 : https.getRedirectPort(), hsts);
    }
}
