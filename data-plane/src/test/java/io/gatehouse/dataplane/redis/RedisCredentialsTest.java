package io.gatehouse.dataplane.redis;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.LogCapture;
import io.gatehouse.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data plane's Redis client against private redis-server processes: AUTH with a password from a
 * file, TLS ({@code rediss://}) verified against a CA, and passwords kept out of logs and messages.
 */
class RedisCredentialsTest {

    @RegisterExtension final LogCapture logs = LogCapture.of("");
    private static final String PASSWORD = "s3cret-redis-pw-" + System.nanoTime();
    @Test
    void authenticatesWithThePasswordFromAFileAndIsRefusedWithout() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("redis-pw", "");
        java.nio.file.Files.writeString(file, PASSWORD + "\n");
        RedisAuth auth = RedisAuth.fromEnvironment(Map.of("GATEHOUSE_REDIS_PASSWORD_FILE", file.toString()));
        assertThat(auth.toString()).doesNotContain(PASSWORD);
        try (RedisServer redis = RedisServer.launch("auth", "--requirepass", PASSWORD);
             RedisConnections with = RedisConnections.create(redis.url(), Duration.ofSeconds(2), auth);
             RedisConnections without = RedisConnections.create(redis.url(), Duration.ofSeconds(2))) {
            String pong = Await.value("authenticated PING", () -> with.strings().map(c -> c.ping().toCompletableFuture().join()),
                    Optional::isPresent).orElseThrow();
            assertThat(pong).isEqualTo("PONG");
            // Lettuce's handshake (HELLO) fails with NOAUTH: no connection is ever handed out.
            Await.until("the refused handshake is logged",
                    () -> logs.lines().stream().anyMatch(l -> l.contains(redis.url() + " unreachable")));
            assertThat(without.strings()).isEmpty();
        }
        assertThat(logs.text()).doesNotContain(PASSWORD);
    }

    @Test
    void speaksTlsToAServerWhoseCertificateChainsToTheGivenCa() throws Exception {
        // A certificate for 127.0.0.1 from the test CA serves as the Redis server's.
        TlsFiles server = TestPki.shared().controlPlane();
        try (RedisServer redis = RedisServer.launchTls("tls", server.certificate(), server.privateKey(),
                server.trustedCa(), "--requirepass", PASSWORD)) {
            assertThat(redis.url()).startsWith("rediss://");
            RedisAuth trusting = new RedisAuth(Optional.empty(), Optional.of(PASSWORD), Optional.of(server.trustedCa()));
            try (RedisConnections tls = RedisConnections.create(redis.url(), Duration.ofSeconds(2), trusting)) {
                assertThat(Await.value("PING over TLS", () -> tls.strings().map(c -> c.ping().toCompletableFuture().join()), Optional::isPresent)
                        .orElseThrow()).isEqualTo("PONG");
            }
            RedisAuth otherCa = new RedisAuth(Optional.empty(), Optional.of(PASSWORD),
                    Optional.of(TestPki.create("other CA").caFile()));
            try (RedisConnections refused = RedisConnections.create(redis.url(), Duration.ofSeconds(2), otherCa)) {
                assertThat(refused.strings()).as("a server certificate from another CA is not trusted").isEmpty();
            }
        }
        assertThat(logs.text()).doesNotContain(PASSWORD);
    }

    @Test
    void aPasswordInTheUrlNeverReachesTheLogs() {
        try (RedisConnections unreachable = RedisConnections.create("redis://app:" + PASSWORD + "@127.0.0.1:1",
                Duration.ofMillis(200))) {
            assertThat(unreachable.url()).isEqualTo("redis://<redacted>@127.0.0.1:1");
            Await.until("the failed connect is logged", () -> logs.lines().stream().anyMatch(l -> l.contains("<redacted>@127.0.0.1:1")));
            assertThat(unreachable.strings()).isEmpty();
        }
        assertThat(logs.text()).doesNotContain(PASSWORD);
    }
}
