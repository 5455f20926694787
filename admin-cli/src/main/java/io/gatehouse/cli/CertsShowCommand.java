package io.gatehouse.cli;

import io.gatehouse.pki.PemFiles;
import io.gatehouse.pki.SpiffeId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** {@code gatehouse certs show FILE}: what a certificate says, in the terms Gatehouse checks. */
@Command(name = "show", description = "Print a certificate's identity, names, issuer and validity.")
final class CertsShowCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "FILE", description = "A PEM certificate (the first one in the file is shown).")
    Path file;

    @Override
    protected int run(Output output) {
        X509Certificate cert;
        try {
            cert = PemFiles.certificates(file)[0];
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, e.getMessage(), e);
        }
        String identity;
        try {
            identity = SpiffeId.of(cert).map(SpiffeId::uri).orElse("none (not a Gatehouse certificate)");
        } catch (IllegalArgumentException e) {
            identity = "invalid: " + e.getMessage();
        }
        output.line("identity:   " + identity);
        output.line("subject:    " + cert.getSubjectX500Principal().getName());
        output.line("issuer:     " + cert.getIssuerX500Principal().getName());
        output.line("serial:     " + cert.getSerialNumber().toString(16));
        output.line("valid:      " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant() + " ("
                + Pki.until(cert.getNotAfter().toInstant(), root().environment().clock().instant()) + ")");
        output.line("names:      " + String.join(", ", names(cert)));
        output.line("role:       " + (cert.getBasicConstraints() >= 0 ? "certificate authority" : usage(cert)));
        return ExitCodes.OK;
    }

    private static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    names.add(String.valueOf(san.get(1)));
                }
            }
        } catch (CertificateParsingException e) {
            names.add("(unreadable: " + e.getMessage() + ")");
        }
        return names.isEmpty() ? List.of("-") : names;
    }

    private static String usage(X509Certificate cert) {
        try {
            List<String> eku = cert.getExtendedKeyUsage();
            if (eku == null) {
                return "any";
            }
            List<String> roles = new ArrayList<>();
            if (eku.contains("1.3.6.1.5.5.7.3.1")) {
                roles.add("TLS server");
            }
            if (eku.contains("1.3.6.1.5.5.7.3.2")) {
                roles.add("TLS client");
            }
            return roles.isEmpty() ? String.join(", ", eku) : String.join(", ", roles);
        } catch (CertificateParsingException e) {
            return "unreadable";
        }
    }
}
