package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.HandshakeRefusal;

/**
 * Refusals on the gRPC port, for metrics and the security log. Called on gRPC and handshake
 * threads: implementations must be thread-safe, fast and must not block or throw.
 */
public interface TrustEvents {

    /** Nobody listening. */
    TrustEvents NONE = new TrustEvents() {
    };

    /** The service a refused call was for. */
    enum Service {
        WATCH, ADMIN
    }

    /** A call (or watch stream) was refused after the handshake. */
    default void callRefused(Service service, AccessRefusal reason, Caller caller, String detail) {
    }

    /** A TLS handshake was refused because of the client's certificate. */
    default void handshakeRefused(HandshakeRefusal refusal) {
    }
}
