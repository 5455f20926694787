package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.ClientCertAuth;
import io.gatehouse.proto.config.v1.ClientCertSubject;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HttpsPolicy;
import io.grpc.util.CertificateUtils;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A route's HTTPS behaviour ({@code routes[].https}: redirect port, HSTS max-age) and client-certificate
 * authentication ({@code routes[].auth.clientCert}: CAs that parse and are CAs, known certificate fields,
 * header names that may carry them). The data plane compiles the same limits (policy/https,
 * policy/auth ClientCertVerifier).
 */
final class HttpsRules {

    /** The fields {@code fieldsToHeaders} may name (data plane: ClientCertVerifier.FIELDS). */
    static final Set<String> FIELDS = Set.of("subject", "common_name", "san_dns", "san_uri", "san_email",
            "fingerprint_sha256");
    static final Duration MAX_HSTS_AGE = Duration.ofDays(2 * 365);

    private HttpsRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasHttps()) {
                checkHttps("routes[" + i + "].https", config.getRoutes(i).getHttps(), problems);
            }
        }
    }

    private static void checkHttps(String path, HttpsPolicy https, List<ValidationProblem> problems) {
        if (https.getRedirectPort() > 65_535) {
            problems.add(new ValidationProblem(path + ".redirectPort", "must be 1..65535 (0 = 443)"));
        }
        if (https.getRedirectPort() != 0 && !https.getRedirect()) {
            problems.add(new ValidationProblem(path + ".redirectPort", "only means something with redirect: true"));
        }
        if (https.hasHstsMaxAge()) {
            Duration age = Duration.ofSeconds(https.getHstsMaxAge().getSeconds(), https.getHstsMaxAge().getNanos());
            if (age.isNegative() || age.compareTo(MAX_HSTS_AGE) > 0) {
                problems.add(new ValidationProblem(path + ".hstsMaxAge", "must be 0s..730d (two years)"));
            }
        } else if (https.getHstsIncludeSubdomains()) {
            problems.add(new ValidationProblem(path + ".hstsIncludeSubdomains", "needs hstsMaxAge"));
        }
    }

    static void checkClientCert(String path, ClientCertAuth clientCert, List<ValidationProblem> problems) {
        X509Certificate[] cas;
        try {
            cas = CertificateUtils.getX509Certificates(new ByteArrayInputStream(
                    clientCert.getCaCertificatesPem().getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | RuntimeException e) {
            cas = null;
        }
        if (cas == null || cas.length == 0) {
            problems.add(new ValidationProblem(path + ".caCertificatesPem", "must hold PEM CA certificates"
                    + " (-----BEGIN CERTIFICATE-----)"));
        } else {
            for (int c = 0; c < cas.length; c++) {
                if (cas[c].getBasicConstraints() < 0) {
                    problems.add(new ValidationProblem(path + ".caCertificatesPem", "certificate " + (c + 1) + " ("
                            + cas[c].getSubjectX500Principal().getName() + ") is not a CA certificate"));
                }
            }
        }
        if (clientCert.getSubjectFrom() == ClientCertSubject.UNRECOGNIZED) {
            problems.add(new ValidationProblem(path + ".subjectFrom", "unknown certificate field"));
        }
        for (Map.Entry<String, String> mapping : new TreeMap<>(clientCert.getFieldsToHeadersMap()).entrySet()) {
            String at = path + ".fieldsToHeaders." + mapping.getKey();
            if (!FIELDS.contains(mapping.getKey())) {
                problems.add(new ValidationProblem(at, "unknown certificate field (one of " + new java.util.TreeSet<>(FIELDS)
                        + ")"));
            }
            String header = mapping.getValue();
            if (!AuthRules.HEADER.matcher(header).matches()) {
                problems.add(new ValidationProblem(at, "'" + header + "' is not a valid header name"));
            } else if (AuthRules.RESERVED_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
                problems.add(new ValidationProblem(at, "header '" + header + "' cannot carry a certificate field"));
            }
        }
    }
}
