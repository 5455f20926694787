package io.gatehouse.controlplane.trust;

import io.grpc.Status;

import java.util.Locale;

/** Why a call was refused after the TLS handshake; {@link #label()} is the metric label. */
public enum AccessRefusal {
    /** The call needs a client certificate and came without one. */
    NO_CLIENT_CERTIFICATE(Status.Code.UNAUTHENTICATED),
    /** A watch stream from a certificate that is not a data plane's. */
    NOT_A_DATA_PLANE(Status.Code.PERMISSION_DENIED),
    /** An admin call from a certificate that is not an admin's. */
    NOT_AN_ADMIN(Status.Code.PERMISSION_DENIED),
    /** An admin call with neither an admin certificate nor a bearer token. */
    NO_CREDENTIALS(Status.Code.UNAUTHENTICATED),
    /** A bearer token that is malformed, unknown or does not match its hash. */
    INVALID_TOKEN(Status.Code.UNAUTHENTICATED),
    /** A bearer token past its expiry. */
    EXPIRED_TOKEN(Status.Code.UNAUTHENTICATED),
    /** A revoked bearer token. */
    REVOKED_TOKEN(Status.Code.UNAUTHENTICATED),
    /** An authenticated caller whose role is below what the method needs. */
    INSUFFICIENT_ROLE(Status.Code.PERMISSION_DENIED),
    /** A method missing from {@link AdminMethodRoles} (refused to everyone). */
    UNLISTED_METHOD(Status.Code.PERMISSION_DENIED),
    /** A data plane reporting a node id its certificate does not name. */
    NODE_ID_MISMATCH(Status.Code.PERMISSION_DENIED),
    /** A data plane reporting a region its certificate does not name. */
    REGION_MISMATCH(Status.Code.PERMISSION_DENIED);

    private final Status.Code code;

    AccessRefusal(Status.Code code) {
        this.code = code;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status the call ends with. */
    public Status status(String description) {
        return Status.fromCode(code).withDescription(description);
    }
}
