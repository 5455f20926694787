package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.proto.config.v1.ClaimHeaderEncoding;
import io.gatehouse.proto.config.v1.ClientCertAuth;
import io.gatehouse.proto.config.v1.ClientCertSubject;
import io.grpc.util.CertificateUtils;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A route's {@code auth.clientCert}, compiled: verifies the certificate chain a client presented on the
 * HTTPS listener against the route's CAs (PKIX: signatures, validity now, CA constraints; the leaf may
 * be used for TLS clients), then names the caller by the configured subject field and renders the
 * configured certificate fields as upstream headers.
 *
 * <p>The listener accepts any client certificate during the handshake (it serves every route); this is
 * where one becomes a credential. Revocation is not checked (no CRL/OCSP fetching at the edge): keep
 * client certificates short-lived. Immutable; thread-safe.
 */
final class ClientCertVerifier {

    /** Fields {@code fieldsToHeaders} may name. */
    static final Set<String> FIELDS = Set.of("subject", "common_name", "san_dns", "san_uri", "san_email",
            "fingerprint_sha256");
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

    private final Set<TrustAnchor> anchors;
    private final ClientCertSubject subjectFrom;
    private final SortedMap<String, String> fieldsToHeaders;
    private final Clock clock;

    private ClientCertVerifier(Set<TrustAnchor> anchors, ClientCertSubject subjectFrom,
                               SortedMap<String, String> fieldsToHeaders, Clock clock) {
        this.anchors = anchors;
        this.subjectFrom = subjectFrom;
        this.fieldsToHeaders = fieldsToHeaders;
        this.clock = clock;
    }

    /**
     * @param path where the block is ({@code routes[2].auth.clientCert})
     * @throws IllegalArgumentException when the CAs do not parse or a field is unknown
     */
    static ClientCertVerifier compile(ClientCertAuth config, String path, Clock clock) {
        Set<TrustAnchor> anchors = new HashSet<>();
        try {
            for (X509Certificate ca : CertificateUtils.getX509Certificates(new ByteArrayInputStream(
                    config.getCaCertificatesPem().getBytes(StandardCharsets.US_ASCII)))) {
                anchors.add(new TrustAnchor(ca, null));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(path + ".caCertificatesPem: not PEM certificates");
        }
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException(path + ".caCertificatesPem: must hold at least one CA certificate");
        }
        if (config.getSubjectFrom() == ClientCertSubject.UNRECOGNIZED) {
            throw new IllegalArgumentException(path + ".subjectFrom: unknown field");
        }
        SortedMap<String, String> headers = new TreeMap<>();
        config.getFieldsToHeadersMap().forEach((field, header) -> {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(path + ".fieldsToHeaders: unknown field '" + field + "' (one of "
                        + new java.util.TreeSet<>(FIELDS) + ")");
            }
            headers.put(field, header.toLowerCase(Locale.ROOT));
        });
        return new ClientCertVerifier(Set.copyOf(anchors), config.getSubjectFrom(), headers, clock);
    }

    /** Upstream headers this verifier may set (cleared on every request so clients cannot forge them). */
    Collection<String> headers() {
        return fieldsToHeaders.values();
    }

    /** What a verified certificate says. */
    record Verified(String subject, String subjectDn, SortedMap<String, String> headers) {
    }

    /**
     * @param chain the chain as the client sent it, leaf first (non-empty)
     * @throws InvalidCredentialsException when it does not chain to the route's CAs, is not valid now,
     *                                     may not authenticate TLS clients, or has no value for the subject
     *                                     or a forwarded field that a header can carry
     */
    Verified verify(List<X509Certificate> chain) throws InvalidCredentialsException {
        X509Certificate leaf = chain.getFirst();
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(withoutAnchors(chain)), parameters);
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages != null && !usages.contains(CLIENT_AUTH) && !usages.contains(ANY_EXTENDED_KEY_USAGE)) {
                throw new InvalidCredentialsException("client certificate may not authenticate TLS clients");
            }
        } catch (GeneralSecurityException e) {
            // The validator's message may name the certificate; the client gets a fixed text.
            throw new InvalidCredentialsException("client certificate is not issued by a CA this route trusts");
        }
        String subject = switch (subjectFrom) {
            case SUBJECT_DN -> field(leaf, "subject");
            case SAN_URI -> field(leaf, "san_uri");
            case SAN_DNS -> field(leaf, "san_dns");
            case SAN_EMAIL -> field(leaf, "san_email");
            default -> field(leaf, "common_name");
        };
        if (subject == null) {
            throw new InvalidCredentialsException("client certificate has no " + subjectFrom.name().toLowerCase(Locale.ROOT));
        }
        SortedMap<String, String> headers = new TreeMap<>();
        for (Map.Entry<String, String> mapping : fieldsToHeaders.entrySet()) {
            String value = field(leaf, mapping.getKey());
            if (value != null) {
                try {
                    headers.put(mapping.getValue(), ClaimHeaders.encode(mapping.getKey(), value,
                            ClaimHeaderEncoding.REJECT_UNSAFE));
                } catch (ClaimHeaders.UnforwardableClaimException e) {
                    throw new InvalidCredentialsException("client certificate field '" + mapping.getKey()
                            + "' cannot be forwarded in a header");
                }
            }
        }
        return new Verified(subject, leaf.getSubjectX500Principal().getName(), headers);
    }

    /** The chain without any certificate that is itself a trust anchor (PKIX wants the path below the anchor). */
    private List<X509Certificate> withoutAnchors(List<X509Certificate> chain) {
        return chain.stream().filter(c -> anchors.stream().noneMatch(a -> a.getTrustedCert().equals(c))).toList();
    }

    private static String field(X509Certificate leaf, String field) {
        return switch (field) {
            case "subject" -> leaf.getSubjectX500Principal().getName();
            case "common_name" -> commonName(leaf);
            case "san_dns" -> san(leaf, 2);
            case "san_uri" -> san(leaf, 6);
            case "san_email" -> san(leaf, 1);
            case "fingerprint_sha256" -> fingerprint(leaf);
            default -> null;
        };
    }

    private static String commonName(X509Certificate leaf) {
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(leaf.getSubjectX500Principal().getName())
                    .getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Objects.toString(rdn.getValue(), null);
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            return null;
        }
        return null;
    }

    private static String san(X509Certificate leaf, int type) {
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Objects.equals(san.get(0), type) && san.get(1) instanceof String value) {
                        return value;
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return null;
        }
        return null;
    }

    private static String fingerprint(X509Certificate leaf) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }
}
