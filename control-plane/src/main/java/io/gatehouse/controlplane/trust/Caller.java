package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.SpiffeId;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Grpc;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Who is calling, as far as the transport can tell: whether the call came over TLS, and the client
 * certificate (already verified against the trusted CAs during the handshake) with the Gatehouse
 * identity it names. Attached to the gRPC {@link Context} of every call by {@link CallerInterceptor};
 * handlers read it with {@link #current()}. Immutable.
 *
 * @param tls         the call arrived over TLS
 * @param certificate the verified client certificate, when one was presented
 * @param identity    the identity in that certificate, when it names one
 */
public record Caller(boolean tls, Optional<X509Certificate> certificate, Optional<SpiffeId> identity) {

    /** A call on a plaintext control plane (--insecure-plaintext): nothing is known about the caller. */
    public static final Caller PLAINTEXT = new Caller(false, Optional.empty(), Optional.empty());

    static final Context.Key<Caller> KEY = Context.key("gatehouse-caller");

    /** The caller of the call being handled; {@link #PLAINTEXT} outside a call. */
    public static Caller current() {
        Caller caller = KEY.get();
        return caller == null ? PLAINTEXT : caller;
    }

    /** From a call's transport attributes. */
    static Caller of(Attributes transport) {
        SSLSession session = transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return PLAINTEXT;
        }
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new Caller(true, Optional.empty(), Optional.empty());
        }
        if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
            return new Caller(true, Optional.empty(), Optional.empty());
        }
        Optional<SpiffeId> identity;
        try {
            identity = SpiffeId.of(leaf);
        } catch (IllegalArgumentException e) {
            // The handshake already refuses such certificates; treat a stray one as anonymous.
            identity = Optional.empty();
        }
        return new Caller(true, Optional.of(leaf), identity);
    }

    /** For logs: the identity, else "certificate without a Gatehouse identity", "no certificate" or "plaintext". */
    public String describe() {
        if (!tls) {
            return "plaintext caller";
        }
        if (identity.isPresent()) {
            return identity.get().uri();
        }
        return certificate.map(c -> "certificate '" + c.getSubjectX500Principal().getName() + "' without a Gatehouse identity")
                .orElse("caller without a client certificate");
    }
}
