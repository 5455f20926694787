package io.gatehouse.dataplane.policy.cors;

import io.gatehouse.config.Origins;

import java.util.Set;

/**
 * A route's CORS settings, compiled. Immutable.
 *
 * @param origins       allowed origins, normalized ({@link Origins#normalize})
 * @param anyOrigin     "*" was configured
 * @param methods       methods a preflight may ask for
 * @param allowMethods  the Access-Control-Allow-Methods value
 * @param allowHeaders  the Access-Control-Allow-Headers value ("" = none)
 * @param exposeHeaders the Access-Control-Expose-Headers value ("" = none)
 * @param credentials   Access-Control-Allow-Credentials: true
 * @param maxAgeSeconds Access-Control-Max-Age, or -1 for none
 */
record CorsRules(Set<String> origins, boolean anyOrigin, Set<String> methods, String allowMethods,
                 String allowHeaders, String exposeHeaders, boolean credentials, long maxAgeSeconds) {

    boolean allows(String origin) {
        return anyOrigin || origins.contains(Origins.normalize(origin));
    }

    String allowOriginValue(String origin) {
        return anyOrigin && !credentials ? "*" : origin;
    }
}
