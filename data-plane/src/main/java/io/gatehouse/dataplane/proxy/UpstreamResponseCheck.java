package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;

import java.util.logging.Logger;

/**
 * Upstream responses the forwarder answers {@code 502 upstream_error} instead of relaying, because
 * Helidon's client hands them over as something they are not. Stateless.
 */
final class UpstreamResponseCheck {

    private static final Logger LOG = Logger.getLogger(UpstreamResponseCheck.class.getName());

    private UpstreamResponseCheck() {
    }

    /**
     * Throws unless {@code upstream} can be relayed as the final response.
     * <ul>
     * <li>1xx or 101: Helidon's client skips a {@code 100 Continue} only for a streamed body; any other
     * interim response (102, 103 Early Hints, a 100 to a request with no or a buffered body) comes back
     * as if it were final, with the real response still in the connection. A 101 is never legitimate:
     * the proxy does not forward {@code Upgrade}. The pool discards the connection
     * ({@code interim_response}); relaying a 1xx as final would leave the client without a response.</li>
     * <li>A non-101 response with {@code Upgrade} and a Content-Length (Apache sends {@code Upgrade: h2,h2c}
     * on plain 200s): Helidon's client takes it as bodiless, so relaying would truncate the body or hang
     * the client on the declared length.</li>
     * </ul>
     *
     * @param bodiless the response has no body by its request method or status (HEAD, 204, 304)
     */
    static void requireRelayable(UpstreamResponse upstream, boolean bodiless) {
        int status = upstream.status().code();
        if (status < 200) {
            LOG.warning(() -> "upstream sent " + status + " as a final response (an interim response the HTTP client"
                    + " does not skip); answering 502 and closing the connection");
            throw GatewayError.UPSTREAM_ERROR.exception("the upstream response could not be relayed (interim status "
                    + status + ")");
        }
        if (!bodiless && !upstream.hasEntity() && upstream.headers().contentLength().orElse(0) > 0) {
            LOG.warning(() -> "upstream response " + status + " has an Upgrade header and a Content-Length;"
                    + " the HTTP client cannot read its body; answering 502");
            throw GatewayError.UPSTREAM_ERROR.exception("the upstream response could not be relayed"
                    + " (Upgrade header on a " + status + " response)");
        }
    }
}
