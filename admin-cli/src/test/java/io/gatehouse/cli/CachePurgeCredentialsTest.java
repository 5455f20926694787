package io.gatehouse.cli;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse cache purge} against a private redis-server that wants a password and speaks only
 * TLS: the password comes from a file, the server's certificate is verified against the given CA,
 * and neither a wrong password nor an untrusted server leaks the password into the output.
 */
class CachePurgeCredentialsTest {

    private static final String PASSWORD = "purge-pw-" + System.nanoTime();

    @TempDir
    Path dir;
    private Process redis;

    @AfterEach
    void stop() throws InterruptedException {
        if (redis != null) {
            redis.destroyForcibly();
            redis.waitFor();
        }
    }

    @Test
    void purgesOverTlsWithAuthFromAFile() throws Exception {
        TlsFiles server = TestPki.shared().controlPlane(); // a certificate for 127.0.0.1 from the test CA
        int port = start(List.of("--port", "0", "--tls-port", "PORT", "--tls-cert-file", server.certificate().toString(),
                "--tls-key-file", server.privateKey().toString(), "--tls-ca-cert-file", server.trustedCa().toString(),
                "--tls-auth-clients", "no", "--requirepass", PASSWORD));
        String url = "rediss://127.0.0.1:" + port;
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

    /** Starts redis-server with {@code args} ("PORT" replaced by a free port); returns the port. */
    private int start(List<String> args) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", dir.toString()));
        for (String a : args) {
            command.add(a.equals("PORT") ? Integer.toString(port) : a);
        }
        redis = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return port;
            } catch (IOException e) {
                Thread.sleep(20); // polling a child process's port; no event to wait on
            }
        }
        throw new IllegalStateException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
    }
}
