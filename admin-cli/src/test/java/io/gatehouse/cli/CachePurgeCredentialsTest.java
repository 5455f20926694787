package io.gatehouse.cli;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse cache purge} against a private redis-server that wants a password and speaks only
 * TLS: the password comes from a file, the server's certificate is verified against the given CA,
 * and neither a wrong password nor an untrusted server leaks the password into the output.
 */
class CachePurgeCredentialsTest {

    private static final String PASSWORD = "purge-pw-" + System.nanoTime();

    private static final TlsFiles SERVER = TestPki.shared().controlPlane(); // a certificate for 127.0.0.1 from the test CA

    @TempDir
    Path dir;
    @RegisterExtension final RedisServer redis = RedisServer.createTls("purge", SERVER.certificate(),
            SERVER.privateKey(), SERVER.trustedCa(), "--requirepass", PASSWORD);

    @Test
    void purgesOverTlsWithAuthFromAFile() throws Exception {
        TlsFiles server = SERVER;
        String url = redis.url();
        CacheCommand.Credentials credentials = new CacheCommand.Credentials(Optional.empty(), Optional.of(PASSWORD),
                Optional.of(server.trustedCa()));
        try (CacheCommand.Resp resp = CacheCommand.Resp.connect(url, credentials)) {
            resp.array("EVAL", "redis.call('SET', KEYS[1], 'x') return {}", "1", "gh:cache:{tls-route}:/a|1");
        }
        Path passwordFile = dir.resolve("redis-password");
        Files.writeString(passwordFile, PASSWORD + "\n");
        CliRunner cli = CliRunner.against("127.0.0.1:1")
                .withEnv("GATEHOUSE_REDIS_PASSWORD_FILE", passwordFile.toString())
                .withEnv("GATEHOUSE_REDIS_CA", server.trustedCa().toString());

        CliRunner.Result purged = cli.run("cache", "purge", "--route", "tls-route", "--redis", url);
        assertThat(purged.exitCode()).as(purged.toString()).isZero();
        assertThat(purged.out()).contains("purged 1 cache entry of route tls-route");

        Files.writeString(passwordFile, "wrong-" + PASSWORD);
        CliRunner.Result wrong = cli.run("cache", "purge", "--route", "tls-route", "--redis", url);
        assertThat(wrong.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(wrong.err()).contains("AUTH refused").doesNotContain(PASSWORD);

        CliRunner.Result untrusted = CliRunner.against("127.0.0.1:1")
                .withEnv("GATEHOUSE_REDIS_PASSWORD_FILE", passwordFile.toString())
                .withEnv("GATEHOUSE_REDIS_CA", TestPki.create("other CA").caFile().toString())
                .run("cache", "purge", "--route", "tls-route", "--redis", url);
        assertThat(untrusted.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(untrusted.err()).contains("TLS handshake with Redis failed");

        CliRunner.Result inFlag = cli.run("cache", "purge", "--route", "x", "--redis", "redis://:" + PASSWORD + "@127.0.0.1:1");
        assertThat(inFlag.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(inFlag.err()).doesNotContain(PASSWORD);
    }
}
