package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.upstream.UpstreamTarget;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.logging.Logger;

/** Maps a failed upstream exchange (before any response header arrived) to a {@link GatewayError}. */
final class UpstreamFailures {

    private static final Logger LOG = Logger.getLogger(UpstreamFailures.class.getName());

    private UpstreamFailures() {
    }

    static GatewayException classify(RuntimeException failure, CompiledRoute route, UpstreamTarget target) {
        GatewayError error = kind(failure);
        String message = switch (error) {
            case UPSTREAM_UNAVAILABLE -> "upstream '" + route.upstream().name() + "' is unavailable";
            case UPSTREAM_TIMEOUT -> "upstream '" + route.upstream().name() + "' did not respond within "
                    + route.timeouts().request().toMillis() + " ms";
            default -> "upstream '" + route.upstream().name() + "' failed before sending a response";
        };
        LOG.warning(() -> "route " + route.id() + " -> " + target.authority() + ": " + error.code() + " ("
                + failure + rootCause(failure) + ")");
        return error.exception(message, failure);
    }

    /** The attempt's request timeout fired (the connection was closed to cancel the call). */
    static GatewayException timedOut(RuntimeException failure, CompiledRoute route, UpstreamTarget target) {
        LOG.warning(() -> "route " + route.id() + " -> " + target.authority() + ": upstream_timeout after "
                + route.timeouts().request().toMillis() + " ms; upstream connection closed");
        return GatewayError.UPSTREAM_TIMEOUT.exception("upstream '" + route.upstream().name()
                + "' did not respond within " + route.timeouts().request().toMillis() + " ms", failure);
    }

    static GatewayError kind(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException) {
                return GatewayError.UPSTREAM_UNAVAILABLE;
            }
            if (t instanceof SocketTimeoutException) {
                String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
                return message.contains("connect") ? GatewayError.UPSTREAM_UNAVAILABLE : GatewayError.UPSTREAM_TIMEOUT;
            }
        }
        return GatewayError.UPSTREAM_ERROR;
    }

    private static String rootCause(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? "" : "; cause: " + root;
    }
}
