package io.gatehouse.dataplane.policy.cors;

import com.google.protobuf.util.Durations;
import io.gatehouse.config.Origins;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Compiles every {@code routes[].cors} into {@link CorsRules}. Strict, like the control plane
 * ({@link Origins}): an origin that is not {@code scheme://host[:port]}, or "*" with credentials,
 * refuses the snapshot.
 */
final class CorsCompiler implements PolicyCompiler {

    static final Parts.Key<CorsRules> ROUTE = Parts.Key.of("cors.route", null);

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasCors()) {
                routes.get(i).put(ROUTE, rules(config.getRoutes(i).getCors(), "routes[" + i + "].cors"));
            }
        }
    }

    static CorsRules rules(CorsPolicy cors, String path) {
        if (cors.getAllowOriginsCount() == 0) {
            throw new IllegalArgumentException(path + ".allowOrigins: must list at least one origin (or \"*\")");
        }
        Set<String> origins = new LinkedHashSet<>();
        boolean any = false;
        for (int o = 0; o < cors.getAllowOriginsCount(); o++) {
            String origin = cors.getAllowOrigins(o);
            if (origin.equals("*")) {
                if (cors.getAllowCredentials()) {
                    throw new IllegalArgumentException(path + ".allowOrigins[" + o
                            + "]: \"*\" cannot be used with allowCredentials");
                }
                any = true;
            } else if (!Origins.isOrigin(origin)) {
                throw new IllegalArgumentException(path + ".allowOrigins[" + o + "]: '" + origin
                        + "' is not an origin (scheme://host[:port])");
            } else {
                origins.add(Origins.normalize(origin));
            }
        }
        Set<String> methods = new LinkedHashSet<>();
        for (HttpMethod method : cors.getAllowMethodsList()) {
            if (method == HttpMethod.UNRECOGNIZED || method == HttpMethod.HTTP_METHOD_UNSPECIFIED) {
                throw new IllegalArgumentException(path + ".allowMethods: unknown method");
            }
            methods.add(method.name());
        }
        if (methods.isEmpty()) {
            methods.addAll(Set.of("GET", "HEAD", "POST")); // CORS "simple" methods
        }
        return new CorsRules(Set.copyOf(origins), any, Set.copyOf(methods), String.join(", ", methods),
                String.join(", ", cors.getAllowHeadersList()), String.join(", ", cors.getExposeHeadersList()),
                cors.getAllowCredentials(), cors.hasMaxAge() ? Durations.toSeconds(cors.getMaxAge()) : -1);
    }
}
