package io.gatehouse.dataplane.routing;

import io.gatehouse.config.ConfigDefaults;
/**
 * Size and concurrency limits of one route, resolved at compile time.
 *
 * @param maxConcurrentRequests in-flight requests on the route; 0 = unlimited
 * @param maxRequestBodyBytes   request body limit (413): the route's value, else the defaults', else 10 MiB
 */
public record RouteLimits(int maxConcurrentRequests, long maxRequestBodyBytes) {

    /** Built-in request body limit. */
    /** No concurrency limit and the built-in body limit. */
    public static final RouteLimits DEFAULTS = new RouteLimits(0, ConfigDefaults.MAX_REQUEST_BODY_BYTES);

    public RouteLimits {
        if (maxConcurrentRequests < 0 || maxRequestBodyBytes < 1) {
            throw new IllegalArgumentException("invalid limits: maxConcurrentRequests=" + maxConcurrentRequests
                    + ", maxRequestBodyBytes=" + maxRequestBodyBytes);
        }
    }

    /** Resolves route values (0 = unset) over the defaults' body limit (0 = unset). */
    public static RouteLimits resolve(int routeMaxConcurrent, long routeMaxBody, long defaultsMaxBody) {
        long body = routeMaxBody > 0 ? routeMaxBody : defaultsMaxBody > 0 ? defaultsMaxBody
                : ConfigDefaults.MAX_REQUEST_BODY_BYTES;
        return new RouteLimits(routeMaxConcurrent, body);
    }
}
