package io.gatehouse.cli;

import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.ReloadingCredentials;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The layout of a Gatehouse PKI directory, as {@code gatehouse certs} writes it:
 * {@code ca.pem} (the CA certificate, for everyone), {@code ca-key.pem} (the CA key, for the
 * operator only), and one {@code NAME.pem} + {@code NAME-key.pem} pair per issued certificate.
 */
final class Pki {

    static final String CA_CERTIFICATE = "ca.pem";
    static final String CA_KEY = "ca-key.pem";

    private Pki() {
    }

    /** {@code x.pem} -> {@code x-key.pem} (or {@code x} -> {@code x-key.pem}). */
    static Path keyFileOf(Path certificate) {
        String name = certificate.getFileName().toString();
        String base = name.endsWith(".pem") ? name.substring(0, name.length() - 4) : name;
        return certificate.resolveSibling(base + "-key.pem");
    }

    /** The CA in {@code dir}, or a clear error (exit 1) saying how to make one. */
    static CertificateIssuer loadCa(Path dir, Clock clock) {
        Path cert = dir.resolve(CA_CERTIFICATE);
        Path key = dir.resolve(CA_KEY);
        if (!Files.exists(cert) || !Files.exists(key)) {
            throw new CliException(ExitCodes.FAILED, "no CA in " + dir + " (" + CA_CERTIFICATE + " and " + CA_KEY
                    + "): run `gatehouse certs init` first, or point --pki-dir at the directory that has them");
        }
        try {
            return CertificateIssuer.load(cert, key, clock);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot use the CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code issued} to {@code certificate} and its key file, and says so. */
    static void write(CertificateIssuer.IssuedCertificate issued, Path certificate, Output output, Clock clock) {
        Path key = keyFileOf(certificate);
        boolean replacing = Files.exists(certificate);
        try {
            issued.write(certificate, key);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot write " + certificate + ": " + e.getMessage(), e);
        }
        output.line((replacing ? "replaced " : "wrote ") + certificate + " and " + key + " (key readable by its owner only)");
        output.line("  " + summary(issued.certificate(), clock));
        if (replacing) {
            output.line("  processes using these files load them within their reload interval (default 10s);"
                    + " open connections are not interrupted");
        }
    }

    /** "identity ..., serial ..., expires ... (in 90 days)". */
    static String summary(X509Certificate certificate, Clock clock) {
        Instant notAfter = certificate.getNotAfter().toInstant();
        // Edge server certificates carry no Gatehouse identity: their host names say what they are for.
        String what = ReloadingCredentials.describe(certificate);
        java.util.List<String> hosts = io.gatehouse.pki.EdgeCertificate.dnsNames(certificate);
        if (what.startsWith("identity none") && !hosts.isEmpty()) {
            what = "hosts " + hosts + what.substring("identity none".length());
        }
        return what + " (" + until(notAfter, clock.instant()) + ")";
    }

    /** "in 90 days" (to the nearest day), "in 5 hours", "expired 2 days ago". */
    static String until(Instant notAfter, Instant now) {
        Duration left = Duration.between(now, notAfter);
        if (left.isNegative()) {
            return "expired " + days(left.negated()) + " days ago";
        }
        return left.compareTo(Duration.ofHours(36)) >= 0 ? "in " + days(left) + " days" : "in " + left.toHours() + " hours";
    }

    private static long days(Duration d) {
        return (d.toHours() + 12) / 24;
    }
}
