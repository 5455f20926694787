package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.AdminToken;
import io.gatehouse.pki.SpiffeId;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

import java.util.Optional;

/**
 * Authentication and authorization of every admin API call, in one place: finds the principal (a
 * bearer token in {@code authorization} metadata, else an admin client certificate, as
 * {@link AdminAuth} allows), checks its role against {@link AdminMethodRoles}, and attaches the
 * {@link Principal} to the call's context for the handlers (audit, version author).
 *
 * <p>Refusals: UNAUTHENTICATED when no credential, or an invalid, expired or revoked token, was
 * presented; PERMISSION_DENIED when the caller is known but its role is too low (or its certificate
 * is not an admin's). Each is reported to {@link TrustEvents} (a counter by reason, a line on the
 * security log naming caller, method and reason). The token itself never appears in a message.
 *
 * <p>Tokens are checked against the database on every call (one indexed read), so a revocation is in
 * force on every replica from the next call; admin calls are rare enough not to need a cache.
 * Install it on the admin service only, inside {@link CallerInterceptor}. Thread-safe.
 */
public final class AdminAuthInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final AdminAuth mode;
    private final CertificateRoles certificateRoles;
    private final TokenAuthenticator tokens;
    private final TrustEvents events;

    public AdminAuthInterceptor(AdminAuth mode, CertificateRoles certificateRoles, TokenAuthenticator tokens,
                                TrustEvents events) {
        this.mode = mode;
        this.certificateRoles = certificateRoles;
        this.tokens = tokens;
        this.events = events;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        Caller caller = Caller.current();
        String method = call.getMethodDescriptor().getFullMethodName();
        Authenticated outcome;
        try {
            outcome = authenticate(caller, headers.getAll(AUTHORIZATION));
        } catch (TokenAuthenticator.StoreUnavailable e) {
            // Not a refusal: the token may be fine. Without this the exception escapes and the caller
            // sees UNKNOWN (found by the chaos harness, issue 14: PostgreSQL killed, then an apply).
            call.close(io.grpc.Status.UNAVAILABLE.withDescription("control plane database unavailable: "
                    + e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        if (outcome.refusal != null) {
            return refuse(call, caller, outcome.refusal, outcome.detail + " (" + shortName(method) + ")");
        }
        Principal principal = outcome.principal;
        Optional<Role> required = AdminMethodRoles.required(method);
        if (required.isEmpty()) {
            return refuse(call, caller, AccessRefusal.UNLISTED_METHOD, shortName(method)
                    + " is not in the method/role table; refused to everyone");
        }
        if (!principal.role().includes(required.get())) {
            return refuse(call, caller, AccessRefusal.INSUFFICIENT_ROLE, shortName(method) + " needs role "
                    + required.get().label() + "; " + principal.name() + " has role " + principal.role().label());
        }
        return Contexts.interceptCall(Context.current().withValue(Principal.KEY, principal), call, headers, next);
    }

    private record Authenticated(Principal principal, AccessRefusal refusal, String detail) {
        static Authenticated ok(Principal p) {
            return new Authenticated(p, null, "");
        }

        static Authenticated refused(AccessRefusal reason, String detail) {
            return new Authenticated(null, reason, detail);
        }
    }

    private Authenticated authenticate(Caller caller, Iterable<String> authorization) {
        Optional<String> bearer;
        try {
            bearer = bearer(authorization);
        } catch (IllegalArgumentException e) {
            return Authenticated.refused(AccessRefusal.INVALID_TOKEN, e.getMessage());
        }
        if (bearer.isPresent() && (mode.acceptsTokens() || !caller.tls())) {
            return token(bearer.get());
        }
        if (!caller.tls()) {
            return Authenticated.ok(new Principal("plaintext", Role.ADMIN, Principal.Method.PLAINTEXT, ""));
        }
        if (mode == AdminAuth.NONE) {
            return Authenticated.ok(new Principal(caller.identity().map(SpiffeId::uri).orElse("unauthenticated"),
                    Role.ADMIN, Principal.Method.OPEN, ""));
        }
        if (!mode.acceptsCertificates() || caller.certificate().isEmpty()) {
            return Authenticated.refused(AccessRefusal.NO_CREDENTIALS, "this call needs "
                    + (mode.acceptsCertificates() ? "a bearer token (gatehouse tokens create) or an admin certificate"
                    + " (gatehouse certs issue admin --name NAME)" : "a bearer token (gatehouse tokens create)")
                    + "; none was presented");
        }
        Optional<SpiffeId> identity = caller.identity().filter(id -> id.kind() == SpiffeId.Kind.ADMIN);
        if (identity.isEmpty()) {
            return Authenticated.refused(AccessRefusal.NOT_AN_ADMIN, "this call needs a bearer token or an admin"
                    + " certificate (gatehouse certs issue admin --name NAME), not " + caller.describe());
        }
        Optional<Role> role = certificateRoles.roleOf(identity.get());
        if (role.isEmpty()) {
            return Authenticated.refused(AccessRefusal.NOT_AN_ADMIN, "admin certificate " + identity.get().uri()
                    + " has no role in GATEHOUSE_ADMIN_CERT_ROLES");
        }
        return Authenticated.ok(new Principal(identity.get().uri(), role.get(), Principal.Method.CERTIFICATE, ""));
    }

    private Authenticated token(String presented) {
        Optional<AdminToken> token = AdminToken.parse(presented);
        if (token.isEmpty()) {
            return Authenticated.refused(AccessRefusal.INVALID_TOKEN, "the bearer token is not a Gatehouse admin token");
        }
        TokenAuthenticator.Result result = tokens.authenticate(token.get());
        if (result instanceof TokenAuthenticator.Valid valid) {
            return Authenticated.ok(new Principal("token:" + valid.name(), valid.role(), Principal.Method.TOKEN,
                    valid.tokenId()));
        }
        AccessRefusal reason = ((TokenAuthenticator.Refused) result).reason();
        String what = switch (reason) {
            case EXPIRED_TOKEN -> "has expired";
            case REVOKED_TOKEN -> "has been revoked";
            default -> "is not valid";
        };
        return Authenticated.refused(reason, "token " + token.get().id() + " " + what);
    }

    /** The bearer credential, if any; two authorization values, or another scheme, are refused. */
    private static Optional<String> bearer(Iterable<String> values) {
        if (values == null) {
            return Optional.empty();
        }
        String found = null;
        for (String value : values) {
            if (found != null) {
                throw new IllegalArgumentException("more than one authorization value");
            }
            found = value;
        }
        if (found == null) {
            return Optional.empty();
        }
        if (!found.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new IllegalArgumentException("authorization must be 'Bearer <token>'");
        }
        return Optional.of(found.substring(7).strip());
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Caller caller, AccessRefusal reason,
                                                 String detail) {
        events.callRefused(TrustEvents.Service.ADMIN, reason, caller, detail);
        call.close(reason.status(detail), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    private static String shortName(String fullMethodName) {
        return fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1);
    }
}
