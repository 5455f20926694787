package io.gatehouse.pki;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.Optional;

/**
 * grpc-java's {@code AdvancedTlsX509TrustManager} (which does the chain and host name checks and
 * swaps its CA set on reload) plus what Gatehouse adds on top: a control plane's certificate must
 * carry a control plane identity, and every refusal is classified (expired vs untrusted) and
 * reported to a {@link HandshakeRefusal.Listener}. Thread-safe.
 */
final class VerifyingTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager delegate;
    private final HandshakeRefusal.Listener listener;
    private final Clock clock;

    VerifyingTrustManager(X509ExtendedTrustManager delegate, HandshakeRefusal.Listener listener, Clock clock) {
        this.delegate = delegate;
        this.listener = listener;
        this.clock = clock;
    }

    // Server side: the peer is a client (data plane or admin). Which identities may call which
    // service is decided per call (the control plane's interceptor), not here.

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClient(chain, () -> delegate.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClient(chain, () -> delegate.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClient(chain, () -> delegate.checkClientTrusted(chain, authType));
    }

    // Client side: the peer must be a control plane.

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServer(chain, () -> delegate.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServer(chain, () -> delegate.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServer(chain, () -> delegate.checkServerTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void checkClient(X509Certificate[] chain, Check check) throws CertificateException {
        verifyChain("client", chain, check);
        identity("client", chain[0]);
    }

    private void checkServer(X509Certificate[] chain, Check check) throws CertificateException {
        verifyChain("control plane", chain, check);
        Optional<SpiffeId> identity = identity("control plane", chain[0]);
        if (identity.isEmpty() || identity.get().kind() != SpiffeId.Kind.CONTROL_PLANE) {
            throw refuse(HandshakeRefusal.Reason.WRONG_ROLE, "control plane", chain[0], identity,
                    "a control plane certificate must name spiffe://gatehouse/cp/<name> (gatehouse certs issue control-plane)");
        }
    }

    private void verifyChain(String role, X509Certificate[] chain, Check check) throws CertificateException {
        if (chain == null || chain.length == 0) {
            // Clients without a certificate never get here (client auth is OPTIONAL); a server must send one.
            throw refuse(HandshakeRefusal.Reason.UNTRUSTED_CERTIFICATE, role, null, Optional.empty(),
                    "no certificate presented");
        }
        try {
            check.run();
        } catch (CertificateException e) {
            X509Certificate leaf = chain[0];
            boolean expired = outsideValidity(leaf) && issuedByTrustedCa(leaf);
            throw refuse(expired ? HandshakeRefusal.Reason.EXPIRED_CERTIFICATE
                            : HandshakeRefusal.Reason.UNTRUSTED_CERTIFICATE, role, leaf, safeIdentity(leaf),
                    expired ? "valid " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant()
                            : rootMessage(e));
        }
    }

    private Optional<SpiffeId> identity(String role, X509Certificate leaf) throws CertificateException {
        try {
            return SpiffeId.of(leaf);
        } catch (IllegalArgumentException e) {
            throw refuse(HandshakeRefusal.Reason.BAD_IDENTITY, role, leaf, Optional.empty(), e.getMessage());
        }
    }

    private CertificateException refuse(HandshakeRefusal.Reason reason, String role, X509Certificate leaf,
                                        Optional<SpiffeId> identity, String detail) {
        HandshakeRefusal refusal = new HandshakeRefusal(reason, role,
                leaf == null ? "" : leaf.getSubjectX500Principal().getName(), identity, detail);
        try {
            listener.refused(refusal);
        } catch (RuntimeException ignored) {
            // A listener must not decide the handshake; the refusal stands either way.
        }
        return new CertificateException(refusal.describe());
    }

    private boolean outsideValidity(X509Certificate leaf) {
        try {
            leaf.checkValidity(Date.from(clock.instant()));
            return false;
        } catch (CertificateException e) {
            return true;
        }
    }

    /** Whether a trusted CA signed {@code leaf} (so a validity failure is "expired", not "untrusted"). */
    private boolean issuedByTrustedCa(X509Certificate leaf) {
        for (X509Certificate ca : delegate.getAcceptedIssuers()) {
            if (ca.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                try {
                    leaf.verify(ca.getPublicKey());
                    return true;
                } catch (GeneralSecurityException | RuntimeException e) {
                    // another CA with the same name; keep looking
                }
            }
        }
        return false;
    }

    private static Optional<SpiffeId> safeIdentity(X509Certificate leaf) {
        try {
            return SpiffeId.of(leaf);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
