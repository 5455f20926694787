package io.gatehouse.dataplane.server;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.policy.auth.Tokens;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.dataplane.testing.Http;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.gatehouse.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A secret from the control plane's encrypted store to a data plane over mutual TLS: an HS256 key
 * kept as a secret verifies tokens on the data plane, a changed value is in force without a config
 * change, {@code /config} names the secret without its value, no log line carries it, and the
 * last-known-good file that holds it is owner-only.
 */
class SecretsEndToEndTest {

    @TempDir
    Path dir;
    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final TestUpstream upstream = TestUpstream.create("secured");
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db, "cp-dp-secrets",
            RunningControlPlane.withKek(() -> dir.resolve("kek.json")));
    /** Every logger, Gatehouse's at FINE too: no line at any level may show a secret. */
    @RegisterExtension final LogCapture logs = LogCapture.of("", "io.gatehouse", Level.ALL);
    @RegisterExtension final Closer closer = new Closer();
    private DataPlane dp;

    @Test
    void anHsKeyKeptAsASecretVerifiesTokensAndNeverShowsUp() throws Exception {
        OctetSequenceKey first = new OctetSequenceKeyGenerator(256).keyID("k1").generate();
        OctetSequenceKey second = new OctetSequenceKeyGenerator(256).keyID("k2").generate();
        setSecret(first);
        GatewayConfig config = Snapshots.config(upstream.url(), "/api").toBuilder()
                .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                        .addAlgorithms(JwsAlgorithm.HS256).setJwksSecret("jwt-hs-main"))
                .build();
        config = config.toBuilder().setRoutes(0, config.getRoutes(0).toBuilder()
                .setAuth(AuthPolicy.newBuilder().addJwtProviders("idp"))).build();
        assertThat(cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setMessage("hs").build()).getOutcome())
                .isEqualTo(ApplyOutcome.APPLIED);

        Path state = dir.resolve("dp-us-1");
        dp = closer.track(DataPlane.start(DataPlaneTls.secure(new DataPlaneSettings("dp-us-1", "us", cp.target(), "127.0.0.1", 0, 0,
                state, 100))));
        String tokenOne = Tokens.sign(JWSAlgorithm.HS256, first, Tokens.claims("alice").build());
        String tokenTwo = Tokens.sign(JWSAlgorithm.HS256, second, Tokens.claims("alice").build());
        Await.until("the data plane accepts a token signed with the secret key",
                () -> get("/api/x", tokenOne) == 200);
        assertThat(get("/api/x", "not.a.token")).isEqualTo(401);

        setSecret(second);
        java.time.Duration inForce = Await.until("the rotated key is in force without a config change",
                () -> get("/api/x", tokenTwo) == 200);
        System.out.printf("[measure] secrets set -> data plane verifies with the new key: %d ms%n", inForce.toMillis());
        assertThat(get("/api/x", tokenOne)).isEqualTo(401);

        String configBody = Http.get(dp.adminPort(), "/config").body();
        assertThat(configBody).contains("\"secrets\":{\"jwt-hs-main\":\"<secret:jwt-hs-main>\"}");
        for (OctetSequenceKey key : List.of(first, second)) {
            String marker = key.getKeyValue().toString();
            assertThat(configBody).doesNotContain(marker);
            assertThat(Http.get(dp.adminPort(), "/metrics").body()).doesNotContain(marker);
            assertThat(logs.text()).doesNotContain(marker);
        }
        assertThat(logs.text()).as("the logs were captured").contains("secret jwt-hs-main set to version 2");
        Path lkg = state.resolve("last-known-good.pb");
        Await.until("the last-known-good file holds the secret", () -> {
            try {
                return Files.exists(lkg) && new String(Files.readAllBytes(lkg), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .contains(second.getKeyValue().toString());
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lkg))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
    }

    private void setSecret(OctetSequenceKey key) {
        cp.admin().setSecret(SetSecretRequest.newBuilder().setName("jwt-hs-main")
                .setValue(ByteString.copyFromUtf8(new JWKSet(key).toString(false))).build());
    }

    private int get(String path, String token) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + path))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
