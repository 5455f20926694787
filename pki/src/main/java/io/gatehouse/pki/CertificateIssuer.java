package io.gatehouse.pki;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;

/**
 * A Gatehouse certificate authority: creates the CA and issues the certificates of control planes,
 * data planes and admins, with X.509 built by BouncyCastle's {@code bcpkix} (no hand-written DER).
 *
 * <p>Keys are ECDSA P-256 (small, fast handshakes, supported by every TLS stack in play); signatures
 * SHA256withECDSA. Leaf certificates carry exactly one Gatehouse {@link SpiffeId} as a URI SAN, the
 * extended key usage of their role (control plane: serverAuth; data plane and admin: clientAuth, so
 * neither can pose as a control plane), a 128-bit random serial, and a notBefore five minutes in
 * the past to absorb clock skew. The CA is a root with path length 0: it signs leaves only.
 *
 * <p>Immutable; thread-safe.
 */
public final class CertificateIssuer {

    /** Default lifetime of the CA. */
    public static final Duration DEFAULT_CA_LIFETIME = Duration.ofDays(3650);
    /** Default lifetime of every leaf certificate: short, so that rotation is routine. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(90);
    /** How far notBefore is set back from "now" (clock skew between hosts). */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate caCertificate;
    private final PrivateKey caKey;
    private final Clock clock;

    private CertificateIssuer(X509Certificate caCertificate, PrivateKey caKey, Clock clock) {
        this.caCertificate = caCertificate;
        this.caKey = caKey;
        this.clock = clock;
    }

    /** A new self-signed CA named {@code commonName}, valid for {@code lifetime} from now. */
    public static CertificateIssuer newCa(String commonName, Duration lifetime, Clock clock) {
        KeyPair keys = newKeyPair();
        Instant now = clock.instant();
        X500Name name = name(commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(lifetime)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateIssuer(sign(builder, keys.getPrivate()), keys.getPrivate(), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("creating the CA failed: " + e.getMessage(), e);
        }
    }

    /**
     * The CA in {@code certificateFile} and {@code keyFile} (as written by {@link #writeCa}).
     *
     * @throws IOException when a file is unreadable or the key is not the certificate's
     */
    public static CertificateIssuer load(Path certificateFile, Path keyFile, Clock clock) throws IOException {
        X509Certificate ca = PemFiles.certificates(certificateFile)[0];
        PrivateKey key = PemFiles.privateKey(keyFile);
        if (!ReloadingCredentials.belongTogether(key, ca)) {
            throw new IOException(keyFile + " is not the key of the CA certificate in " + certificateFile);
        }
        if (ca.getBasicConstraints() < 0) {
            throw new IOException(certificateFile + " is not a CA certificate");
        }
        return new CertificateIssuer(ca, key, clock);
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** Writes the CA certificate (world-readable) and its key (owner-only). */
    public void writeCa(Path certificateFile, Path keyFile) throws IOException {
        PemWriter.writeCertificates(certificateFile, List.of(caCertificate));
        PemWriter.writePrivateKey(keyFile, caKey);
    }

    /** What to put in a leaf certificate. */
    public record Request(SpiffeId identity, List<String> dnsNames, List<InetAddress> ipAddresses,
                          Instant notBefore, Instant notAfter) {
        public Request {
            Objects.requireNonNull(identity, "identity");
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
            if (!notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("notAfter must be after notBefore");
            }
            if (identity.kind() != SpiffeId.Kind.CONTROL_PLANE && (!dnsNames.isEmpty() || !ipAddresses.isEmpty())) {
                throw new IllegalArgumentException("only control plane certificates carry DNS names or IP addresses");
            }
        }
    }

    /** A request for {@code identity} valid from now (minus the skew allowance) for {@code lifetime}. */
    public Request request(SpiffeId identity, List<String> dnsNames, List<InetAddress> ipAddresses, Duration lifetime) {
        Instant now = clock.instant();
        return new Request(identity, dnsNames, ipAddresses, now.minus(BACKDATE), now.plus(lifetime));
    }

    /** Issues a certificate and a fresh key for {@code request}. */
    public IssuedCertificate issue(Request request) {
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, request.identity().uri()));
        request.dnsNames().forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
        request.ipAddresses().forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress())));
        KeyPurposeId purpose = request.identity().kind() == SpiffeId.Kind.CONTROL_PLANE
                ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth;
        return leaf(commonName(request.identity()), names, request.notBefore(), request.notAfter(), purpose,
                request.identity().toString());
    }

    /**
     * Issues an edge server certificate (the data planes' HTTPS listener, config {@code certificates[]}):
     * no Gatehouse identity, the DNS names and IP addresses as subjectAltNames, the first name as the
     * common name, extendedKeyUsage serverAuth, valid from now (minus the skew allowance) for
     * {@code lifetime}, with a fresh key.
     */
    public IssuedCertificate issueServer(List<String> dnsNames, List<InetAddress> ipAddresses, Duration lifetime) {
        if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name or IP address");
        }
        Instant now = clock.instant();
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
        ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress())));
        String commonName = dnsNames.isEmpty() ? ipAddresses.getFirst().getHostAddress() : dnsNames.getFirst();
        return leaf(commonName.length() <= 64 ? commonName : commonName.substring(0, 64), names, now.minus(BACKDATE),
                now.plus(lifetime), KeyPurposeId.id_kp_serverAuth, "server " + dnsNames + ipAddresses);
    }

    /** A leaf certificate with a fresh key: not a CA, digitalSignature, one extended key usage, these SANs. */
    private IssuedCertificate leaf(String commonName, List<GeneralName> names, Instant notBefore, Instant notAfter,
                                   KeyPurposeId purpose, String what) {
        KeyPair keys = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate, serial(),
                    Date.from(notBefore), Date.from(notAfter), name(commonName), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    // RFC 5280 §4.2.1.6: SAN is critical when the subject is empty; ours is not, keep it non-critical.
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(caCertificate));
            return new IssuedCertificate(sign(builder, caKey), keys.getPrivate(), caCertificate);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("issuing a certificate for " + what + " failed: " + e.getMessage(), e);
        }
    }

    /** A certificate, its key and the CA that issued it. */
    public record IssuedCertificate(X509Certificate certificate, PrivateKey key, X509Certificate ca) {

        /** Writes the certificate (world-readable) and its key (owner-only, PKCS#8). */
        public void write(Path certificateFile, Path keyFile) throws IOException {
            PemWriter.writeCertificates(certificateFile, List.of(certificate));
            PemWriter.writePrivateKey(keyFile, key);
        }
    }

    /**
     * For people reading the certificate ("dp/us/dp-us-1"); software reads the SAN. RFC 5280 caps a
     * common name at 64 characters, node ids may be longer, so it is cut (the SAN never is).
     */
    private static String commonName(SpiffeId id) {
        String path = id.uri().substring(("spiffe://" + SpiffeId.TRUST_DOMAIN + "/").length());
        return path.length() <= 64 ? path : path.substring(0, 61) + "...";
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Gatehouse").addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        // Positive, 128 random bits (CA/Browser Forum asks for at least 64).
        return new BigInteger(128, RANDOM).setBit(127);
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JDK", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }
}
