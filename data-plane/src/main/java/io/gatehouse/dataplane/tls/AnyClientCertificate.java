package io.gatehouse.dataplane.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * The HTTPS listener's trust manager: it asks every client for a certificate and lets any through
 * the handshake. Whom to trust is a route's decision (a route's {@code auth.clientCert} CAs, checked by
 * the authentication step), and the listener is shared by every route; a client's chain reaches the
 * chain unverified ({@code TlsFacts.clientChain}) and means nothing until a route verified it.
 * Never used for server certificates. Stateless; thread-safe.
 */
final class AnyClientCertificate extends X509ExtendedTrustManager {

    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the HTTPS listener never verifies servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the HTTPS listener never verifies servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the HTTPS listener never verifies servers");
    }

    /** None named: the client may send a certificate of any CA (the CertificateRequest lists no authorities). */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS;
    }
}
