package io.gatehouse.cli;

import io.gatehouse.pki.CertificateIssuer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code gatehouse certs init}: creates the CA ({@code ca.pem}, {@code ca-key.pem}) in the PKI
 * directory. Refuses to replace an existing CA: every certificate issued by it would stop working.
 */
@Command(name = "init", description = "Create a certificate authority in --pki-dir: ca.pem (give it to every"
        + " control plane, data plane and admin) and ca-key.pem (keep it to yourself: it can mint any identity).")
final class CertsInitCommand extends ControlPlaneCommand {

    @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
            description = "Lifetime of the CA in days (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "Gatehouse CA",
            description = "Common name of the CA (default '${DEFAULT-VALUE}').")
    String name;

    @Override
    protected int run(Output output) {
        if (days < 1) {
            throw usageError("--days must be at least 1");
        }
        Path dir = root().pkiDir();
        Path cert = dir.resolve(Pki.CA_CERTIFICATE);
        Path key = dir.resolve(Pki.CA_KEY);
        if (Files.exists(cert) || Files.exists(key)) {
            throw new CliException(ExitCodes.FAILED, "a CA already exists in " + dir + "; certificates it issued"
                    + " would stop working if it were replaced. Move it away first to start over.");
        }
        CertificateIssuer ca = CertificateIssuer.newCa(name, Duration.ofDays(days), root().environment().clock());
        try {
            ca.writeCa(cert, key);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot write the CA to " + dir + ": " + e.getMessage(), e);
        }
        output.line("created CA '" + name + "' in " + dir + ", valid " + days + " days");
        output.line("  " + cert + ": the CA certificate; every control plane, data plane and admin trusts it (--tls-ca, --ca)");
        output.line("  " + key + ": the CA key (owner-only); whoever holds it can issue any identity: keep it off servers");
        output.line("next: gatehouse certs issue control-plane --dns HOST --ip ADDR;"
                + " gatehouse certs issue data-plane --node ID --region REGION; gatehouse certs issue admin --name NAME");
        return ExitCodes.OK;
    }
}
