package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.SpiffeId;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

import java.util.Optional;

/**
 * Decides, per call, whether the caller's certificate fits the service, and attaches the
 * {@link Caller} to the call's context:
 *
 * <ul>
 *   <li>discovery {@code Watch}: a data plane certificate ({@code spiffe://gatehouse/dp/...}); whether
 *       it may be the node and region it reports is checked by the watch session, which sees them;</li>
 *   <li>{@code AdminService}: decided by {@link AdminAuthInterceptor} (a bearer token or an admin
 *       certificate, then the role each method needs), which runs after this;</li>
 *   <li>anything else (gRPC health, reflection): open, as they reveal nothing.</li>
 * </ul>
 *
 * On a plaintext control plane (no TLS at all) every call passes: that mode is the explicit opt-out.
 * Refusals end the call with UNAUTHENTICATED (no certificate) or PERMISSION_DENIED (wrong role)
 * and are reported to {@link TrustEvents}. Thread-safe.
 */
public final class CallerInterceptor implements ServerInterceptor {

    private final TrustEvents events;

    public CallerInterceptor(TrustEvents events) {
        this.events = events;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        Caller caller = Caller.of(call.getAttributes());
        String service = call.getMethodDescriptor().getServiceName();
        Optional<Refusal> refusal = check(service, caller);
        if (refusal.isPresent()) {
            Refusal r = refusal.get();
            events.callRefused(r.service(), r.reason(), caller, r.message());
            call.close(r.reason().status(r.message()), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call, headers, next);
    }

    private record Refusal(TrustEvents.Service service, AccessRefusal reason, String message) {
    }

    private Optional<Refusal> check(String service, Caller caller) {
        if (!caller.tls()) {
            return Optional.empty();
        }
        if (DiscoveryServiceGrpc.SERVICE_NAME.equals(service)) {
            return require(TrustEvents.Service.WATCH, caller, SpiffeId.Kind.DATA_PLANE,
                    "a data plane certificate (gatehouse certs issue data-plane --node ID --region REGION)",
                    AccessRefusal.NOT_A_DATA_PLANE);
        }
        // AdminService: AdminAuthInterceptor (token or certificate, then the role per method).
        return Optional.empty();
    }

    private static Optional<Refusal> require(TrustEvents.Service service, Caller caller, SpiffeId.Kind kind,
                                             String what, AccessRefusal wrongRole) {
        if (caller.certificate().isEmpty()) {
            return Optional.of(new Refusal(service, AccessRefusal.NO_CLIENT_CERTIFICATE,
                    "this call needs " + what + "; none was presented"));
        }
        if (caller.identity().isEmpty() || caller.identity().get().kind() != kind) {
            return Optional.of(new Refusal(service, wrongRole, "this call needs " + what + ", not "
                    + caller.describe()));
        }
        return Optional.empty();
    }
}
