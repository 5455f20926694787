package io.gatehouse.cli;

import io.gatehouse.pki.PemFiles;
import io.gatehouse.pki.SpiffeId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse certs init|issue|show}: files, identities, lifetimes and the mistakes they refuse. */
class CertsCommandTest {

    @TempDir
    Path dir;

    private CliRunner cli;

    @BeforeEach
    void cli() {
        cli = CliRunner.against("127.0.0.1:1").withoutTlsEnvironment().withEnv("GATEHOUSE_PKI_DIR", dir.toString());
    }

    private static X509Certificate read(Path file) throws Exception {
        return PemFiles.certificates(file)[0];
    }

    private static Duration lifetime(X509Certificate cert) {
        return Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
    }

    @Test
    void initCreatesACaWithAnOwnerOnlyKeyAndRefusesToReplaceIt() throws Exception {
        CliRunner.Result init = cli.run("certs", "init");

        assertThat(init.exitCode()).as(init.toString()).isZero();
        assertThat(init.out()).contains("ca.pem").contains("ca-key.pem").contains("keep it off servers");
        assertThat(read(dir.resolve("ca.pem")).getBasicConstraints()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem"))))
                .isEqualTo("rw-------");
        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));

        CliRunner.Result again = cli.run("certs", "init");

        assertThat(again.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(again.err()).contains("a CA already exists");
        assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isEqualTo(ca);
    }

    @Test
    void issueWritesEachRolesCertificateWithItsIdentityNamesAndLifetime() throws Exception {
        cli.run("certs", "init");

        CliRunner.Result cp = cli.run("certs", "issue", "control-plane", "--dns", "localhost", "--dns", "cp.internal",
                "--ip", "127.0.0.1");
        CliRunner.Result dp = cli.run("certs", "issue", "data-plane", "--node", "dp-us-1", "--region", "us");
        CliRunner.Result pods = cli.run("certs", "issue", "data-plane", "--any-node", "--region", "eu", "--days", "30");
        CliRunner.Result admin = cli.run("certs", "issue", "admin", "--name", "alice");

        for (CliRunner.Result r : List.of(cp, dp, pods, admin)) {
            assertThat(r.exitCode()).as(r.toString()).isZero();
        }
        X509Certificate cpCert = read(dir.resolve("control-plane.pem"));
        assertThat(SpiffeId.of(cpCert)).contains(SpiffeId.controlPlane("control-plane"));
        assertThat(cpCert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
                .contains("localhost", "cp.internal", "127.0.0.1");
        X509Certificate dpCert = read(dir.resolve("dp-us-1.pem"));
        assertThat(SpiffeId.of(dpCert)).contains(SpiffeId.dataPlane("us", "dp-us-1"));
        assertThat(lifetime(dpCert)).isEqualTo(Duration.ofDays(90).plusMinutes(5)); // default, plus skew allowance
        assertThat(SpiffeId.of(read(dir.resolve("dp-eu.pem")))).contains(SpiffeId.anyDataPlaneOf("eu"));
        assertThat(lifetime(read(dir.resolve("dp-eu.pem")))).isEqualTo(Duration.ofDays(30).plusMinutes(5));
        assertThat(SpiffeId.of(read(dir.resolve("admin-alice.pem")))).contains(SpiffeId.admin("alice"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("dp-us-1-key.pem"))))
                .isEqualTo("rw-------");
        dpCert.verify(read(dir.resolve("ca.pem")).getPublicKey());
        assertThat(dp.out()).contains("wrote " + dir.resolve("dp-us-1.pem")).contains("spiffe://gatehouse/dp/us/dp-us-1")
                .contains("in 90 days");
    }

    @Test
    void issueServerWritesAnEdgeCertificateForTheHttpsListener() throws Exception {
        cli.run("certs", "init");

        CliRunner.Result server = cli.run("certs", "issue", "server", "--dns", "api.example.com",
                "--dns", "*.example.com", "--days", "30");
        CliRunner.Result none = cli.run("certs", "issue", "server");

        assertThat(server.exitCode()).as(server.toString()).isZero();
        assertThat(server.out()).contains("hosts [api.example.com, *.example.com], serial");
        X509Certificate edge = read(dir.resolve("edge.pem"));
        assertThat(SpiffeId.of(edge)).isEmpty();
        assertThat(edge.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
                .containsExactly("api.example.com", "*.example.com");
        assertThat(edge.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(lifetime(edge)).isEqualTo(Duration.ofDays(30).plusMinutes(5));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("edge-key.pem"))))
                .isEqualTo("rw-------");
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.err()).contains("give at least one --dns");
    }

    @Test
    void issuingAgainOverTheSameFilesRotatesThem() throws Exception {
        cli.run("certs", "init");
        cli.run("certs", "issue", "data-plane", "--node", "dp-us-1", "--region", "us");
        X509Certificate first = read(dir.resolve("dp-us-1.pem"));

        CliRunner.Result again = cli.run("certs", "issue", "data-plane", "--node", "dp-us-1", "--region", "us",
                "--out", dir.resolve("dp-us-1.pem").toString());

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.out()).contains("replaced").contains("open connections are not interrupted");
        assertThat(read(dir.resolve("dp-us-1.pem")).getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    }

    @Test
    void mistakesAreRefusedWithAHint() {
        CliRunner.Result noCa = cli.run("certs", "issue", "admin", "--name", "bob");
        assertThat(noCa.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(noCa.err()).contains("no CA in " + dir).contains("gatehouse certs init");

        cli.run("certs", "init");
        CliRunner.Result noNames = cli.run("certs", "issue", "control-plane");
        assertThat(noNames.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noNames.err()).contains("at least one --dns or --ip");
        CliRunner.Result hostAsIp = cli.run("certs", "issue", "control-plane", "--ip", "cp.internal");
        assertThat(hostAsIp.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(hostAsIp.err()).contains("not an IP address");
        CliRunner.Result both = cli.run("certs", "issue", "data-plane", "--node", "a", "--any-node", "--region", "us");
        assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
        CliRunner.Result slash = cli.run("certs", "issue", "data-plane", "--node", "a/b", "--region", "us");
        assertThat(slash.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(slash.err()).contains("node id must be");
    }

    @Test
    void showSaysWhoACertificateIsForAndUntilWhen() {
        cli.run("certs", "init");
        cli.run("certs", "issue", "admin", "--name", "alice", "--days", "7");

        CliRunner.Result show = cli.run("certs", "show", dir.resolve("admin-alice.pem").toString());

        assertThat(show.exitCode()).as(show.toString()).isZero();
        assertThat(show.out()).contains("identity:   spiffe://gatehouse/admin/alice").contains("in 7 days")
                .contains("role:       TLS client");
        assertThat(cli.run("certs", "show", dir.resolve("ca.pem").toString()).out())
                .contains("role:       certificate authority");
    }
}
