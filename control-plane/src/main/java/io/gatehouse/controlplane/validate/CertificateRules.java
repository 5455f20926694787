package io.gatehouse.controlplane.validate;

import io.gatehouse.pki.EdgeCertificate;
import io.gatehouse.proto.config.v1.Certificate;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.TlsSettings;
import io.gatehouse.proto.config.v1.TlsVersion;
import io.gatehouse.proto.config.v1.UnknownServerName;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTPS listener's certificates ({@code certificates[]}, {@code settings.tls}). Without secrets:
 * names, hosts (valid, each served by one certificate), secret names, the default certificate. With
 * secrets ({@link #checkMaterial}): the checks the data plane runs when it compiles them
 * ({@link EdgeCertificate}: PEM parses, key matches, chain order, valid now, hosts covered by the SANs),
 * each problem at its path; a certificate expiring within 14 days is a warning. Problems name secrets,
 * never their content.
 */
final class CertificateRules {

    private CertificateRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, String> hostOwner = new HashMap<>();
        for (int i = 0; i < config.getCertificatesCount(); i++) {
            Certificate entry = config.getCertificates(i);
            String path = "certificates[" + i + "]";
            if (entry.getName().isEmpty()) {
                problems.add(new ValidationProblem(path + ".name", "is required"));
            } else if (!ConfigValidator.NAME.matcher(entry.getName()).matches()) {
                problems.add(new ValidationProblem(path + ".name", "certificate name '" + entry.getName()
                        + "' must match [a-z0-9][a-z0-9-_.]{0,62}"));
            } else if (names.putIfAbsent(entry.getName(), i) != null) {
                problems.add(new ValidationProblem(path + ".name", "duplicate certificate '" + entry.getName()
                        + "' (also certificates[" + names.get(entry.getName()) + "])"));
            }
            if (entry.getHostsCount() == 0) {
                problems.add(new ValidationProblem(path + ".hosts", "must list at least one host name"));
            }
            for (int h = 0; h < entry.getHostsCount(); h++) {
                String host = entry.getHosts(h).toLowerCase(Locale.ROOT);
                String hostPath = path + ".hosts[" + h + "]";
                String reason = RouteMatchRules.hostProblem(host);
                if (reason != null) {
                    problems.add(new ValidationProblem(hostPath, reason));
                    continue;
                }
                String owner = hostOwner.putIfAbsent(host, path);
                if (owner != null) {
                    problems.add(new ValidationProblem(hostPath, "host '" + host + "' is also served by " + owner
                            + " (each host name picks one certificate)"));
                }
            }
            secretName(path + ".certSecret", entry.getCertSecret(), problems);
            secretName(path + ".keySecret", entry.getKeySecret(), problems);
        }
        TlsSettings tls = config.getSettings().getTls();
        if (tls.getMinVersion() == TlsVersion.UNRECOGNIZED) {
            problems.add(new ValidationProblem("settings.tls.minVersion", "must be TLS_1_2 or TLS_1_3"));
        }
        if (tls.getUnknownServerName() == UnknownServerName.UNRECOGNIZED) {
            problems.add(new ValidationProblem("settings.tls.unknownServerName",
                    "must be DEFAULT_CERTIFICATE or REJECT_HANDSHAKE"));
        }
        if (!tls.getDefaultCertificate().isEmpty() && !names.containsKey(tls.getDefaultCertificate())) {
            problems.add(new ValidationProblem("settings.tls.defaultCertificate", "unknown certificate '"
                    + tls.getDefaultCertificate() + "'"));
        }
    }

    private static void secretName(String path, String name, List<ValidationProblem> problems) {
        if (name.isEmpty()) {
            problems.add(new ValidationProblem(path, "is required (the name of a secret: gatehouse secrets set NAME"
                    + " --from-file FILE.pem)"));
        } else if (!ConfigValidator.NAME.matcher(name).matches()) {
            problems.add(new ValidationProblem(path, "secret name '" + name + "' must match [a-z0-9][a-z0-9-_.]{0,62}"));
        }
    }

    /**
     * The certificate material in the secrets, as the data plane will compile it; warnings get the
     * certificates expiring within {@link EdgeCertificate#EXPIRY_WARNING}.
     */
    static void checkMaterial(GatewayConfig config, SecretLookup secrets, Clock clock, List<ValidationProblem> problems,
                              List<ValidationProblem> warnings) {
        for (int i = 0; i < config.getCertificatesCount(); i++) {
            Certificate entry = config.getCertificates(i);
            String path = "certificates[" + i + "]";
            Optional<byte[]> certificate = value(secrets, entry.getCertSecret(), path + ".certSecret", "cert.pem", problems);
            Optional<byte[]> key = value(secrets, entry.getKeySecret(), path + ".keySecret", "key.pem", problems);
            if (certificate.isEmpty() || key.isEmpty()) {
                continue;
            }
            EdgeCertificate.Checked checked = EdgeCertificate.check(certificate.get(), key.get(), entry.getHostsList(),
                    clock.instant());
            for (EdgeCertificate.Problem p : checked.problems()) {
                problems.add(new ValidationProblem(path + "." + p.field(), secretOf(entry, p.field()) + p.reason()));
            }
            for (EdgeCertificate.Problem p : checked.warnings()) {
                warnings.add(new ValidationProblem(path + "." + p.field(), secretOf(entry, p.field()) + p.reason()));
            }
        }
    }

    private static String secretOf(Certificate entry, String field) {
        return switch (field) {
            case "certSecret" -> "secret '" + entry.getCertSecret() + "': ";
            case "keySecret" -> "secret '" + entry.getKeySecret() + "': ";
            default -> "";
        };
    }

    private static Optional<byte[]> value(SecretLookup secrets, String name, String path, String file,
                                          List<ValidationProblem> problems) {
        if (name.isEmpty()) {
            return Optional.empty(); // reported by check()
        }
        Optional<byte[]> value = secrets.value(name);
        if (value.isEmpty()) {
            problems.add(new ValidationProblem(path, "secret '" + name + "' does not exist (create it with"
                    + " gatehouse secrets set " + name + " --from-file " + file + ")"));
        }
        return value;
    }
}
