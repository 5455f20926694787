package io.gatehouse.cli;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.pki.KekKeyset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tokens, whoami, audit, secrets and kek against a real control plane (mutual TLS, PostgreSQL, a KEK
 * file): exit codes 5 and 6, tokens shown once, straight-into-the-database creation, secret values
 * read from files and never printed back.
 */
class TrustCommandsTest {

    @TempDir
    static Path dir;
    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db, "cp-cli-trust",
            RunningControlPlane.withKek(() -> dir.resolve("kek.json")));
    private static CliRunner admin;

    @BeforeAll
    static void connectCli() {
        admin = CliRunner.against(cp.target());
    }

    private static String token(String name, String role) {
        CliRunner.Result created = admin.run("tokens", "create", "--name", name, "--role", role, "-m", "test");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        assertThat(created.err()).contains("shown only once");
        String token = created.out().strip();
        assertThat(AdminToken.parse(token)).as(created.toString()).isPresent();
        return token;
    }

    @Test
    void viewerReadsButApplyExits6AndNoOrRevokedTokenExits5() {
        String viewer = token("cli-viewer", "viewer");
        CliRunner asViewer = CliRunner.against(cp.target()).withToken(viewer);
        assertThat(asViewer.run("versions").exitCode()).isZero();
        assertThat(asViewer.run("whoami").out()).contains("token:cli-viewer (role viewer, by token)");

        Path config = ConfigFiles.write(dir, "v.yaml", ConfigFiles.valid("viewer-apply"));
        CliRunner.Result apply = asViewer.run("apply", config.toString(), "-m", "not allowed");
        assertThat(apply.exitCode()).as(apply.toString()).isEqualTo(ExitCodes.PERMISSION_DENIED);
        assertThat(apply.err()).contains("permission denied").contains("Apply needs role operator");

        CliRunner.Result anonymous = CliRunner.against(cp.target()).withToken(null).run("versions");
        assertThat(anonymous.exitCode()).as(anonymous.toString()).isEqualTo(ExitCodes.UNAUTHENTICATED);

        assertThat(admin.run("tokens", "revoke", "cli-viewer", "-m", "rotating").exitCode()).isZero();
        CliRunner.Result revoked = asViewer.run("versions");
        assertThat(revoked.exitCode()).as(revoked.toString()).isEqualTo(ExitCodes.UNAUTHENTICATED);
        assertThat(revoked.err()).contains("has been revoked").doesNotContain(viewer);

        CliRunner.Result list = admin.run("tokens", "list", "--all");
        assertThat(list.out()).contains("cli-viewer").contains("viewer").doesNotContain(viewer);
        CliRunner.Result audit = admin.run("audit");
        assertThat(audit.out()).contains("token.revoke").contains("rotating").contains("spiffe://gatehouse/admin/test-admin");
    }

    @Test
    void aTokenFileWorksAndAMalformedOneIsAUsageError() throws Exception {
        String operator = token("cli-operator", "operator");
        Path file = dir.resolve("operator.token");
        Files.writeString(file, operator + "\n");
        CliRunner.Result ok = CliRunner.against(cp.target()).withToken(null).run("--token-file", file.toString(), "whoami");
        assertThat(ok.out()).as(ok.toString()).contains("token:cli-operator (role operator");
        Files.writeString(file, "hunter2");
        CliRunner.Result bad = CliRunner.against(cp.target()).withToken(null).run("--token-file", file.toString(), "versions");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).doesNotContain("hunter2");
    }

    @Test
    void tokensCreateWithDbUrlWritesStraightIntoTheDatabase() {
        CliRunner direct = CliRunner.against(cp.target())
                .withEnv("GATEHOUSE_DB_PASSWORD", db.password());
        CliRunner.Result created = direct.run("tokens", "create", "--name", "first-admin", "--role", "admin",
                "--db-url", db.jdbcUrl(), "--db-user", db.user());
        assertThat(created.exitCode()).as(created.toString()).isZero();
        String token = created.out().strip();
        CliRunner.Result whoami = CliRunner.against(cp.target()).withToken(token).run("whoami");
        assertThat(whoami.out()).as(whoami.toString()).contains("token:first-admin (role admin");
        assertThat(admin.run("audit").out()).contains("db:" + db.user());

        CliRunner.Result generated = admin.run("tokens", "generate");
        assertThat(AdminToken.parse(generated.out().strip())).isPresent();
    }

    @Test
    void secretsGoInFromFilesAndNeverComeOut() throws Exception {
        String jwks = new JWKSet(new OctetSequenceKeyGenerator(256).keyID("k").generate()).toString(false);
        String marker = jwks.substring(jwks.indexOf("\"k\":\"") + 5, jwks.indexOf("\"k\":\"") + 25);
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, jwks);

        CliRunner.Result set = admin.run("secrets", "set", "jwt-hs-main", "--from-file", file.toString(), "-m", "partner");
        assertThat(set.out()).as(set.toString()).contains("secret jwt-hs-main set (version 1");
        assertThat(admin.run("secrets", "set", "jwt-hs-main", "--from-file", file.toString()).out())
                .contains("unchanged");

        Path config = ConfigFiles.write(dir, "hs.yaml", ConfigFiles.valid("hs-route") + """
                jwtProviders:
                - name: idp
                  issuer: https://issuer.example
                  algorithms: [HS256]
                  jwksSecret: jwt-hs-main
                """);
        CliRunner.Result apply = admin.run("apply", config.toString(), "-m", "hs");
        assertThat(apply.exitCode()).as(apply.toString()).isZero();
        for (String[] args : new String[][] {{"show"}, {"-o", "json", "show"}, {"diff", config.toString()}, {"versions"},
                {"secrets", "list"}, {"-o", "json", "secrets", "list"}, {"audit"}}) {
            CliRunner.Result result = admin.run(args);
            assertThat(result.exitCode()).as(String.join(" ", args) + "\n" + result).isZero();
            assertThat(result.out() + result.err()).as(String.join(" ", args)).doesNotContain(marker);
        }
        assertThat(admin.run("show").out()).contains("jwksSecret: jwt-hs-main");

        CliRunner.Result inUse = admin.run("secrets", "rm", "jwt-hs-main");
        assertThat(inUse.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(inUse.err()).contains("jwtProviders[0].jwksSecret");

        Path missing = ConfigFiles.write(dir, "missing.yaml", ConfigFiles.valid("hs-route") + """
                jwtProviders:
                - name: idp
                  issuer: https://issuer.example
                  algorithms: [HS256]
                  jwksSecret: not-there
                """);
        CliRunner.Result rejected = admin.run("apply", missing.toString(), "-m", "missing");
        assertThat(rejected.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(rejected.err()).contains("jwtProviders[0].jwksSecret: secret 'not-there' does not exist");
    }

    @Test
    void kekFilesAreCreatedOwnerOnlyRotatedAndPruned() throws Exception {
        Path kek = dir.resolve("local-kek.json");
        CliRunner.Result created = admin.run("kek", "create", kek.toString());
        assertThat(created.exitCode()).as(created.toString()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kek))).isEqualTo("rw-------");
        assertThat(admin.run("kek", "create", kek.toString()).exitCode()).isEqualTo(ExitCodes.FAILED);
        long first = KekKeyset.read(kek).primaryKeyId();

        assertThat(admin.run("kek", "rotate", kek.toString()).exitCode()).isZero();
        assertThat(KekKeyset.read(kek).keyIds()).hasSize(2).contains(first).first().isNotEqualTo(first);
        assertThat(admin.run("kek", "prune", kek.toString()).exitCode()).isZero();
        assertThat(KekKeyset.read(kek).keyIds()).hasSize(1).doesNotContain(first);

        CliRunner.Result rewrap = admin.run("secrets", "rotate-kek", "-m", "yearly");
        assertThat(rewrap.exitCode()).as(rewrap.toString()).isZero();
        assertThat(rewrap.out()).contains("re-wrapped");
    }

    @Test
    void serverErrorsThatQuoteWhatTheCallerSentAreEscaped() {
        CliRunner.Result result = admin.run("tokens", "revoke", "\u001b]0;owned\u0007\u001b[2Jx");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).contains("\\u{1b}]0;owned\\u{7}\\u{1b}[2Jx").doesNotContain("\u001b", "\u0007");
    }
}
