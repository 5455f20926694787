package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitAlgorithm;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.UUID;

import static io.gatehouse.dataplane.policy.auth.Requests.bearer;
import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real chain of {@code DataPlane.chain}: the IP rate limit runs before authentication (an
 * over-limit request with a bad token gets 429, not 401), and authorization after it (a valid
 * token lacking a scope is 403). The data plane serves a last-known-good snapshot from disk; no
 * control plane is needed.
 */
class AuthChainOrderTest {

    private static final RSAKey KEY = Tokens.rsa("r1");

    @TempDir
    Path stateDir;

    @Test
    void ipRateLimitRejectsBeforeAuthenticationAndAuthorizationAfterIt() throws Exception {
        String unique = UUID.randomUUID().toString().substring(0, 8);
        try (TestUpstream upstream = TestUpstream.start("backend")) {
            GatewayConfig config = Snapshots.config(upstream.url()).toBuilder()
                    .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                            .setJwksJson(Tokens.jwks(KEY)).addAlgorithms(JwsAlgorithm.RS256))
                    .addRoutes(Snapshots.route("order-" + unique, "/orders", "backend").toBuilder()
                            .setAuth(AuthPolicy.newBuilder().addJwtProviders("idp").addRequiredScopes("orders:read"))
                            .setRateLimiting(RateLimiting.newBuilder().addLimits(RateLimit.newBuilder()
                                    .setName("ip-" + unique)
                                    .setAlgorithm(RateLimitAlgorithm.FIXED_WINDOW)
                                    .setLimit(3)
                                    .setPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                                    .setKey(RateLimitKey.newBuilder().setClientIp(true)))))
                    .build();
            new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config));
            try (DataPlane dp = DataPlane.start(io.gatehouse.dataplane.testing.DataPlaneTls.secure(new DataPlaneSettings(
                    "dp-order-" + unique, "test", "127.0.0.1:" + freePort(), "127.0.0.1", 0, 0, stateDir,
                    DataPlaneSettings.DEFAULT_MAX_ROUTES)))) {
                // Redis connects in the background; a request decided locally before that would
                // count in a different counter than the later ones.
                Await.until("the data plane is connected to Redis", dp::redisConnected);
                String url = "http://127.0.0.1:" + dp.port() + "/orders";
                String noScope = sign(JWSAlgorithm.RS256, KEY, claims("alice").build());
                String withScope = sign(JWSAlgorithm.RS256, KEY, claims("alice").claim("scope", "orders:read").build());

                assertThat(bearer(url, "not-a-token").statusCode()).as("bad token, within the limit").isEqualTo(401);
                assertThat(bearer(url, noScope).statusCode()).as("valid token, no scope").isEqualTo(403);
                assertThat(bearer(url, withScope).statusCode()).isEqualTo(200);
                assertThat(bearer(url, "not-a-token").statusCode()).as("bad token, over the IP limit").isEqualTo(429);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
