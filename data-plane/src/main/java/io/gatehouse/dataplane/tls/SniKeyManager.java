package io.gatehouse.dataplane.tls;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The HTTPS listener's key manager: picks the certificate for each handshake by SNI from the
 * certificate set in force ({@link ServerCertificates#select}).
 *
 * <p>Why a key manager of our own rather than Helidon's TLS reload or a new SSLContext per snapshot:
 * it is installed once in the listener's SSLContext and reads the snapshot's set through a supplier on
 * every handshake, so a new snapshot's certificates serve the next handshake while connections already
 * established keep theirs, and the listener is never rebuilt or restarted. The JDK's own key manager
 * cannot choose by SNI among certificates for different hosts, and cannot be swapped once the context
 * is initialised.
 *
 * <p>The JDK chooses an alias in one call and fetches its chain and key in two more; a snapshot may
 * swap in between. Aliases therefore name one compiled set ({@code name#serial}) and are resolved in
 * the set in force or the one before it, so a handshake always gets the chain and key of one
 * certificate, never the old chain with the new key. Thread-safe.
 */
public final class SniKeyManager extends X509ExtendedKeyManager {

    private final Supplier<ServerCertificates> certificates;
    /** The set seen last, and the one before it (aliases chosen just before a swap resolve there). */
    private volatile ServerCertificates lastSeen = ServerCertificates.NONE;
    private volatile ServerCertificates previous = ServerCertificates.NONE;

    /** @param certificates the set in force; never null (use {@link ServerCertificates#NONE}) */
    public SniKeyManager(Supplier<ServerCertificates> certificates) {
        this.certificates = certificates;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession handshake = socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null;
        return choose(keyType, handshake);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, engine == null ? null : engine.getHandshakeSession());
    }

    private String choose(String keyType, SSLSession handshake) {
        Optional<ServerCertificates.Named> chosen = current().select(serverName(handshake));
        if (chosen.isEmpty()) {
            return null; // no certificate for this name: the handshake fails
        }
        // The JDK asks once per signature scheme ("EC", "RSA", "RSASSA-PSS", TLS 1.2 "EC_EC"...): answer
        // only for the key's own algorithm, so it settles on a scheme the key can sign with.
        String algorithm = chosen.get().certificate().key().getAlgorithm();
        int underscore = keyType.indexOf('_');
        String type = underscore < 0 ? keyType : keyType.substring(0, underscore);
        return type.equals(algorithm) ? chosen.get().alias() : null;
    }

    private ServerCertificates current() {
        ServerCertificates now = certificates.get();
        ServerCertificates seen = lastSeen;
        if (now != seen) { // a swap: remember the set before it (a benign race: at worst one refused handshake)
            previous = seen;
            lastSeen = now;
        }
        return now;
    }

    private Optional<io.gatehouse.pki.EdgeCertificate> byAlias(String alias) {
        Optional<io.gatehouse.pki.EdgeCertificate> found = current().byAlias(alias);
        return found.isPresent() ? found : previous.byAlias(alias);
    }

    /** The SNI host name of the handshake, lower case. */
    static Optional<String> serverName(SSLSession handshake) {
        if (handshake instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name.getType() == StandardConstants.SNI_HOST_NAME && name instanceof SNIHostName host) {
                    return Optional.of(host.getAsciiName().toLowerCase(Locale.ROOT));
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return byAlias(alias).map(c -> c.chain().toArray(X509Certificate[]::new)).orElse(null);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return byAlias(alias).map(c -> c.key()).orElse(null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        ServerCertificates set = current();
        return set.all().keySet().stream().map(set::alias).toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server's key manager: never a client
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
