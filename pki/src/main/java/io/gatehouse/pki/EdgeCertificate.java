package io.gatehouse.pki;

import io.grpc.util.CertificateUtils;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A server certificate of the data plane's HTTPS listener (config {@code certificates[]}): the PEM
 * chain and PKCS#8 key from two secrets, checked the same way by the control plane at apply and by
 * the data plane when it compiles a snapshot (one rule set, two callers). Checks: both parse, the key
 * is the leaf's, the chain is in order (leaf first, each certificate signed by the next), the leaf is
 * valid now and may serve TLS servers (extendedKeyUsage), and every configured host is covered by one
 * of the leaf's DNS names. A leaf expiring within {@link #EXPIRY_WARNING} is a warning, not a problem.
 *
 * <p>Problem texts never quote the PEM content (it is secret material); they name the field only.
 * Immutable; thread-safe.
 */
public final class EdgeCertificate {

    /** Certificates expiring sooner than this are reported (apply warning, data plane metric). */
    public static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int DNS_NAME = 2;

    private final List<X509Certificate> chain;
    private final PrivateKey key;

    private EdgeCertificate(List<X509Certificate> chain, PrivateKey key) {
        this.chain = List.copyOf(chain);
        this.key = key;
    }

    /**
     * One problem, relative to the certificate entry.
     *
     * @param field  {@code certSecret}, {@code keySecret} or {@code hosts[i]}
     * @param reason what is wrong, without secret content
     */
    public record Problem(String field, String reason) {
    }

    /**
     * What {@link #check} found.
     *
     * @param certificate the usable certificate, present when there is no problem
     * @param problems    every reason it cannot be served
     * @param warnings    reasons to act soon (expiring within {@link #EXPIRY_WARNING})
     */
    public record Checked(Optional<EdgeCertificate> certificate, List<Problem> problems, List<Problem> warnings) {
        public Checked {
            problems = List.copyOf(problems);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Checks a certificate entry and, when it passes, returns it ready to serve.
     *
     * @param certificatePem the PEM chain (leaf first)
     * @param keyPem         the leaf's PKCS#8 PEM key
     * @param hosts          the entry's hosts (exact or {@code *.} wildcard)
     * @param now            the time validity is checked at
     */
    public static Checked check(byte[] certificatePem, byte[] keyPem, List<String> hosts, Instant now) {
        List<Problem> problems = new ArrayList<>();
        List<Problem> warnings = new ArrayList<>();
        List<X509Certificate> chain = parseChain(certificatePem);
        PrivateKey key = parseKey(keyPem);
        if (chain.isEmpty()) {
            problems.add(new Problem("certSecret", "does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        if (key == null) {
            problems.add(new Problem("keySecret", "does not hold a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)"));
        }
        if (chain.isEmpty()) {
            return new Checked(Optional.empty(), problems, warnings);
        }
        X509Certificate leaf = chain.getFirst();
        if (key != null && !ReloadingCredentials.belongTogether(key, leaf)) {
            problems.add(new Problem("keySecret", "is not the private key of the certificate in certSecret"));
        }
        checkOrder(chain, problems);
        checkValidity(leaf, now, problems, warnings);
        checkUsage(leaf, problems);
        List<String> dnsNames = dnsNames(leaf);
        for (int h = 0; h < hosts.size(); h++) {
            if (!covered(hosts.get(h), dnsNames)) {
                problems.add(new Problem("hosts[" + h + "]", "'" + hosts.get(h)
                        + "' is not covered by the certificate's DNS names " + dnsNames));
            }
        }
        return new Checked(problems.isEmpty() ? Optional.of(new EdgeCertificate(chain, key)) : Optional.empty(),
                problems, warnings);
    }

    /** The chain, leaf first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    public X509Certificate leaf() {
        return chain.getFirst();
    }

    public PrivateKey key() {
        return key;
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /**
     * Whether a certificate DNS name (possibly {@code *.example.com}) covers {@code host} (possibly a
     * wildcard itself): RFC 6125 §6.4.3, the wildcard stands for exactly one left-most label.
     */
    public static boolean covered(String host, List<String> dnsNames) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String name : dnsNames) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.equals(h)) {
                return true;
            }
            if (n.startsWith("*.") && !h.startsWith("*.")) {
                int dot = h.indexOf('.');
                if (dot > 0 && h.substring(dot).equals(n.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The leaf's DNS subjectAltNames, in certificate order. */
    public static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Objects.equals(san.get(0), DNS_NAME) && san.get(1) instanceof String dns) {
                        names.add(dns);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // An unreadable SAN extension covers nothing; the hosts check reports it.
        }
        return names;
    }

    private static void checkOrder(List<X509Certificate> chain, List<Problem> problems) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate child = chain.get(i);
            X509Certificate issuer = chain.get(i + 1);
            boolean signed;
            try {
                child.verify(issuer.getPublicKey());
                signed = child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
            } catch (GeneralSecurityException e) {
                signed = false;
            }
            if (!signed) {
                problems.add(new Problem("certSecret", "certificate " + (i + 1) + " of the chain is not issued by certificate "
                        + (i + 2) + ": the chain must be the leaf first, then each issuer in order"));
                return;
            }
        }
    }

    private static void checkValidity(X509Certificate leaf, Instant now, List<Problem> problems, List<Problem> warnings) {
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        if (!now.isBefore(notAfter)) {
            problems.add(new Problem("certSecret", "the certificate expired at " + notAfter));
        } else if (now.isBefore(notBefore)) {
            problems.add(new Problem("certSecret", "the certificate is not valid before " + notBefore));
        } else if (Duration.between(now, notAfter).compareTo(EXPIRY_WARNING) < 0) {
            warnings.add(new Problem("certSecret", "the certificate expires at " + notAfter + ", in less than "
                    + EXPIRY_WARNING.toDays() + " days"));
        }
    }

    private static void checkUsage(X509Certificate leaf, List<Problem> problems) {
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages != null && !usages.contains(SERVER_AUTH) && !usages.contains(ANY_EXTENDED_KEY_USAGE)) {
                problems.add(new Problem("certSecret", "the certificate's extendedKeyUsage does not allow TLS servers"
                        + " (serverAuth)"));
            }
        } catch (CertificateParsingException e) {
            problems.add(new Problem("certSecret", "the certificate's extendedKeyUsage cannot be read"));
        }
    }

    private static List<X509Certificate> parseChain(byte[] pem) {
        try {
            return List.of(CertificateUtils.getX509Certificates(new ByteArrayInputStream(pem)));
        } catch (GeneralSecurityException | RuntimeException e) {
            return List.of(); // the parser's message may quote the input: the caller says what is wrong
        }
    }

    private static PrivateKey parseKey(byte[] pem) {
        try {
            return CertificateUtils.getPrivateKey(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException | java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
