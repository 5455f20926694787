package io.gatehouse.dataplane.routing;

import io.gatehouse.proto.config.v1.HttpMethod;
import io.helidon.http.Method;

import java.util.Collection;

/**
 * HTTP methods as bits of an {@code int}, so a route's method condition is one AND per lookup.
 * Methods the config model cannot name (TRACE, CONNECT, extension methods) get a bit no route
 * ever sets: they match only routes without a method condition.
 */
final class HttpMethods {

    /** A route without a method condition: every bit set. */
    static final int ANY = -1;
    private static final int OTHER = 1 << 30;

    private HttpMethods() {
    }

    /** The bit of a request method. */
    static int bit(Method method) {
        return switch (method.text()) {
            case "GET" -> 1 << HttpMethod.GET_VALUE;
            case "HEAD" -> 1 << HttpMethod.HEAD_VALUE;
            case "POST" -> 1 << HttpMethod.POST_VALUE;
            case "PUT" -> 1 << HttpMethod.PUT_VALUE;
            case "DELETE" -> 1 << HttpMethod.DELETE_VALUE;
            case "PATCH" -> 1 << HttpMethod.PATCH_VALUE;
            case "OPTIONS" -> 1 << HttpMethod.OPTIONS_VALUE;
            default -> OTHER;
        };
    }

    /** The mask of configured methods; {@link #ANY} when the list is empty. */
    static int mask(Collection<HttpMethod> methods) {
        if (methods.isEmpty()) {
            return ANY;
        }
        int mask = 0;
        for (HttpMethod method : methods) {
            if (method == HttpMethod.HTTP_METHOD_UNSPECIFIED || method == HttpMethod.UNRECOGNIZED) {
                throw new IllegalArgumentException("method must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
            }
            mask |= 1 << method.getNumber();
        }
        return mask;
    }
}
