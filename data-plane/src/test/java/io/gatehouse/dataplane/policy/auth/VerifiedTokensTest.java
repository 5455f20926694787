package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.concurrent.atomic.AtomicReference;

import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The verified-token cache skips only the signature check: time claims are judged on every
 * request, a token is kept only once it passed every check, and the cache is bounded.
 */
class VerifiedTokensTest {

    private static final RSAKey KEY = Tokens.rsa("k1");

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    private static JwtVerifier verifier(Clock clock) {
        JwtProvider provider = JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                .setJwksJson(Tokens.jwks(KEY)).addAlgorithms(JwsAlgorithm.RS256)
                .setClockSkew(com.google.protobuf.Duration.newBuilder().setSeconds(5)).build();
        return new JwtVerifier(provider, new JwksCache(), clock);
    }

    @Test
    void aCachedTokenStillExpiresOnTime() throws Exception {
        MovableClock clock = new MovableClock();
        JwtVerifier verifier = verifier(clock);
        String token = sign(JWSAlgorithm.RS256, KEY, claims("alice")
                .expirationTime(Date.from(clock.instant().plusSeconds(30))).build());

        assertThat(verifier.verify(token).getSubject()).isEqualTo("alice");
        assertThat(verifier.verify(token).getSubject()).isEqualTo("alice");

        clock.now.set(clock.instant().plusSeconds(60));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidCredentialsException.class)
                .hasMessage("token expired");
    }

    @Test
    void aTokenNotValidYetIsNotKeptAndPassesOnceItIs() throws Exception {
        MovableClock clock = new MovableClock();
        JwtVerifier verifier = verifier(clock);
        String token = sign(JWSAlgorithm.RS256, KEY, claims("bob")
                .notBeforeTime(Date.from(clock.instant().plusSeconds(60))).build());

        assertThatThrownBy(() -> verifier.verify(token)).hasMessage("token is not valid yet");
        clock.now.set(clock.instant().plusSeconds(61));
        assertThat(verifier.verify(token).getSubject()).isEqualTo("bob");
    }

    @Test
    void aTamperedTokenIsNeverServedFromTheCache() throws Exception {
        JwtVerifier verifier = verifier(Clock.systemUTC());
        String token = sign(JWSAlgorithm.RS256, KEY, claims("carol").build());
        verifier.verify(token);
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + com.nimbusds.jose.util.Base64URL.encode(
                claims("mallory").build().toString()) + "." + parts[2];

        assertThatThrownBy(() -> verifier.verify(forged)).hasMessage("token signature is invalid");
    }

    @Test
    void entriesNeedTheSameKeySetAndAreBounded() {
        VerifiedTokens tokens = new VerifiedTokens();
        JWKSet keys = new JWKSet(KEY.toPublicJWK());
        JWTClaimsSet claims = claims("dave").build();
        tokens.put("t1", keys, claims);

        assertThat(tokens.get("t1", keys)).isSameAs(claims);
        assertThat(tokens.get("t1", new JWKSet(KEY.toPublicJWK()))).as("another key set instance").isNull();
        assertThat(tokens.get("t1", keys)).as("dropped once seen stale").isNull();

        String huge = "x".repeat(VerifiedTokens.MAX_TOKEN_CHARS + 1);
        tokens.put(huge, keys, claims);
        assertThat(tokens.get(huge, keys)).isNull();

        for (int i = 0; i < VerifiedTokens.MAX_ENTRIES + 500; i++) {
            tokens.put("token-" + i, keys, claims);
        }
        assertThat(tokens.size()).isLessThanOrEqualTo(VerifiedTokens.MAX_ENTRIES);
    }
}
