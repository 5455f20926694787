package io.gatehouse.controlplane.trust;

import io.grpc.Context;

/**
 * The authenticated caller of an admin call: who it is (what the audit trail and the version history
 * record, never a name the client supplies) and its role. Attached to the call's gRPC
 * {@link Context} by {@link AdminAuthInterceptor}; handlers read it with {@link #current()}. Immutable.
 *
 * @param name    "token:&lt;name&gt;", a certificate identity ({@code spiffe://gatehouse/admin/alice}),
 *                "plaintext" or "unauthenticated" (the two explicitly open modes)
 * @param role    what it may do
 * @param method  how it was authenticated
 * @param tokenId the token's id when {@code method} is TOKEN, else ""
 */
public record Principal(String name, Role role, Method method, String tokenId) {

    /** How the caller was authenticated. */
    public enum Method {
        TOKEN, CERTIFICATE,
        /** {@code --insecure-plaintext}: nothing is authenticated. */
        PLAINTEXT,
        /** {@code --admin-auth none}: any TLS caller. */
        OPEN
    }

    static final Context.Key<Principal> KEY = Context.key("gatehouse-principal");

    /** Outside an admin call (e.g. in-process use of the services by tests): an internal caller. */
    public static final Principal INTERNAL = new Principal("internal", Role.ADMIN, Method.OPEN, "");

    /** The principal of the admin call being handled; {@link #INTERNAL} outside one. */
    public static Principal current() {
        Principal principal = KEY.get();
        return principal == null ? INTERNAL : principal;
    }

    public String methodLabel() {
        return switch (method) {
            case TOKEN -> "token";
            case CERTIFICATE -> "certificate";
            case PLAINTEXT -> "plaintext";
            case OPEN -> "open";
        };
    }
}
