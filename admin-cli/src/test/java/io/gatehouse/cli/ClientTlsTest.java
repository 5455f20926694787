package io.gatehouse.cli;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.pki.TlsFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI against a control plane whose certificates the CLI itself issued ({@code certs init},
 * {@code certs issue}): the PKI directory is all it needs; a missing, foreign or ambiguous piece
 * gets a message that says what to do.
 */
class ClientTlsTest {

    @TempDir
    static Path pki;

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    /** Serving the certificate `gatehouse certs` issued, not the shared test CA's. */
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db, "cp-cli-tls",
            settings -> settings.withTls(issueWithTheCli()));
    private static CliRunner cli;

    /** `certs init` and `certs issue` into the PKI directory; returns the control plane's files. */
    private static TlsFiles issueWithTheCli() {
        CliRunner issuer = CliRunner.against("127.0.0.1:1").withoutTlsEnvironment()
                .withEnv("GATEHOUSE_PKI_DIR", pki.toString());
        assertThat(issuer.run("certs", "init").exitCode()).isZero();
        assertThat(issuer.run("certs", "issue", "control-plane", "--dns", "localhost", "--ip", "127.0.0.1")
                .exitCode()).isZero();
        assertThat(issuer.run("certs", "issue", "admin", "--name", "alice").exitCode()).isZero();
        return new TlsFiles(pki.resolve("control-plane.pem"), pki.resolve("control-plane-key.pem"),
                pki.resolve("ca.pem"));
    }

    @BeforeAll
    static void connectCli() {
        cli = CliRunner.against(cp.target()).withoutTlsEnvironment().withEnv("GATEHOUSE_PKI_DIR", pki.toString());
    }

    @Test
    void thePkiDirectoryAloneIsEnough() {
        CliRunner.Result versions = cli.run("versions");

        assertThat(versions.exitCode()).as(versions.toString()).isZero();
    }

    @Test
    void withoutAnAdminCertificateTheControlPlaneSaysWhatItNeeds() {
        CliRunner.Result result = CliRunner.against(cp.target()).withoutTlsEnvironment()
                .withEnv("GATEHOUSE_CA", pki.resolve("ca.pem").toString())
                .withEnv("GATEHOUSE_PKI_DIR", pki.resolve("elsewhere").toString())
                .run("versions");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.UNAUTHENTICATED);
        assertThat(result.err()).contains("refused the call (not authenticated)")
                .contains("gatehouse certs issue admin --name NAME").contains("GATEHOUSE_TOKEN_FILE");
    }

    @Test
    void aControlPlaneCertificateFromAnotherCaIsRefusedByTheCli() {
        // The shared test CA's files: a complete admin identity, but not the CA this control plane's certificate is from.
        CliRunner.Result result = CliRunner.against(cp.target()).run("versions");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(result.err()).contains("control plane certificate refused (untrusted_certificate)");
    }

    @Test
    void noCaCertificateIsAUsageErrorWithTheWayOut() {
        CliRunner.Result result = CliRunner.against(cp.target()).withoutTlsEnvironment()
                .withEnv("GATEHOUSE_PKI_DIR", pki.resolve("empty").toString()).run("versions");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("no CA certificate at").contains("gatehouse certs init")
                .contains("--insecure-plaintext");
    }

    @Test
    void severalAdminCertificatesMustBeChosenBetween() throws Exception {
        Path two = pki.resolve("two");
        Files.createDirectories(two);
        for (String name : new String[] {"ca.pem", "admin-alice.pem", "admin-alice-key.pem"}) {
            Files.copy(pki.resolve(name), two.resolve(name));
        }
        Files.copy(pki.resolve("admin-alice.pem"), two.resolve("admin-bob.pem"));
        CliRunner inTwo = CliRunner.against(cp.target()).withoutTlsEnvironment().withEnv("GATEHOUSE_PKI_DIR", two.toString());

        CliRunner.Result ambiguous = inTwo.run("versions");
        CliRunner.Result chosen = inTwo.run("versions", "--cert", two.resolve("admin-alice.pem").toString());

        assertThat(ambiguous.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(ambiguous.err()).contains("several admin certificates").contains("--cert");
        assertThat(chosen.exitCode()).as(chosen.toString()).isZero();
    }

    @Test
    void plaintextOnlyWithTheFlagAndOnlyAgainstAPlaintextControlPlane() {
        try (TestDatabase own = TestDatabase.createMigrated(); RunningControlPlane plain = RunningControlPlane.startPlaintext(own)) {
            CliRunner.Result flagged = CliRunner.against(plain.target()).run("versions", "--insecure-plaintext");
            CliRunner.Result tls = CliRunner.against(plain.target()).run("versions");

            assertThat(flagged.exitCode()).as(flagged.toString()).isZero();
            assertThat(tls.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        }
        CliRunner.Result plaintextToTls = cli.run("versions", "--insecure-plaintext");
        assertThat(plaintextToTls.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
    }
}
