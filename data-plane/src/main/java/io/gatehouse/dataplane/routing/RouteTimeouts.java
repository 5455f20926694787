package io.gatehouse.dataplane.routing;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.Timeouts;

import java.time.Duration;
import java.util.Objects;

/**
 * Timeouts of one route, resolved at compile time: the route's own value, else the config's
 * defaults, else the built-in default ({@link ConfigDefaults}).
 *
 * @param connect time allowed to establish the upstream connection
 * @param request time allowed from sending the request until the upstream's response headers arrive
 * @param idle    longest pause between bytes of the upstream response body
 */
public record RouteTimeouts(Duration connect, Duration request, Duration idle) {

    /** Built-in connect timeout when neither the route nor the defaults set one. */
    /** Built-in request timeout when neither the route nor the defaults set one. */
    /** Built-in idle timeout when neither the route nor the defaults set one. */

    public RouteTimeouts {
        Objects.requireNonNull(connect, "connect");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(idle, "idle");
        if (!positive(connect) || !positive(request) || !positive(idle)) {
            throw new IllegalArgumentException("timeouts must be positive: connect=" + connect + ", request="
                    + request + ", idle=" + idle);
        }
    }

    /** With the built-in idle timeout. */
    public RouteTimeouts(Duration connect, Duration request) {
        this(connect, request, ConfigDefaults.IDLE_TIMEOUT);
    }

    /** Resolves {@code route} (may be the default instance) over {@code defaults} over the built-ins. */
    public static RouteTimeouts resolve(Timeouts route, Timeouts defaults) {
        Duration connect = route.hasConnect() ? toDuration(route.getConnect())
                : defaults.hasConnect() ? toDuration(defaults.getConnect()) : ConfigDefaults.CONNECT_TIMEOUT;
        Duration request = route.hasRequest() ? toDuration(route.getRequest())
                : defaults.hasRequest() ? toDuration(defaults.getRequest()) : ConfigDefaults.REQUEST_TIMEOUT;
        Duration idle = route.hasIdle() ? toDuration(route.getIdle())
                : defaults.hasIdle() ? toDuration(defaults.getIdle()) : ConfigDefaults.IDLE_TIMEOUT;
        return new RouteTimeouts(connect, request, idle);
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    private static Duration toDuration(com.google.protobuf.Duration d) {
        return Duration.ofNanos(Durations.toNanos(d));
    }
}
