package io.gatehouse.dataplane.upstream;

/**
 * How one upstream attempt against one target ended, as reported by the forwarder to
 * {@link PickedTarget#end(AttemptOutcome)}; feeds passive outlier detection.
 *
 * @param status         the upstream's HTTP status, or 0 when no response arrived
 * @param gatewayFailure connect failure, reset or timeout before a response (counts as a 5xx too)
 */
public record AttemptOutcome(int status, boolean gatewayFailure) {

    /** The attempt did not reach a verdict (e.g. refused locally); ignored by outlier detection. */
    public static final AttemptOutcome NONE = new AttemptOutcome(0, false);
    /** Connect failure, reset or timeout before any response header. */
    public static final AttemptOutcome GATEWAY_FAILURE = new AttemptOutcome(0, true);

    public static AttemptOutcome status(int status) {
        return new AttemptOutcome(status, false);
    }

    boolean is5xx() {
        return gatewayFailure || status >= 500;
    }

    boolean isSuccess() {
        return !gatewayFailure && status > 0 && status < 500;
    }
}
