package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.config.ConfigDefaults;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.proto.config.v1.ClaimHeaderEncoding;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies JWTs of one {@link JwtProvider} (compiled once per snapshot; the remote key cache it
 * uses outlives snapshots).
 *
 * <p>Defences: only the provider's configured algorithms are accepted, so {@code alg: none} (an
 * unsecured JWT, which does not even parse as a JWS) and any algorithm the operator did not list
 * are rejected before a key is touched. The key is chosen by algorithm <em>family</em>: HS tokens
 * are only checked with {@code oct} secrets, RS/PS only with RSA keys, ES256 only with P-256 EC
 * keys. That defeats algorithm confusion (an HS256 token "signed" with the bytes of the RSA public
 * key), because an RSA key is never handed to an HMAC verifier. Then iss, aud, exp/nbf (with the
 * clock skew) and required claims are checked.
 *
 * <p>Thread-safe and immutable apart from the shared {@link JwksCache}.
 */
final class JwtVerifier {


    private final String name;
    private final String issuer;
    private final Set<String> audiences;
    private final Set<JWSAlgorithm> algorithms;
    private final JWKSet inlineKeys;
    private final String jwksUrl;
    private final Duration jwksTtl;
    private final Duration clockSkew;
    private final List<String> requiredClaims;
    private final Map<String, String> claimsToHeaders;
    private final boolean stripToken;
    private final ClaimHeaderEncoding claimHeaderEncoding;
    private final JwksCache jwks;
    private final Clock clock;
    /** Tokens that verified with this provider's current keys (a cache per snapshot). */
    private final VerifiedTokens verified = new VerifiedTokens();

    /**
     * @throws IllegalArgumentException "field: reason" (relative to the provider) when the provider
     *                                  cannot be run as configured: unknown or no algorithms, no
     *                                  issuer, an inline JWKS that does not parse or has no key for an
     *                                  algorithm, no keys at all, an unknown claim header encoding
     */
    JwtVerifier(JwtProvider provider, JwksCache jwks, Clock clock) {
        this(provider, Map.of(), jwks, clock);
    }

    /**
     * @param secrets the snapshot's secret values by name ({@code Snapshot.secrets}), where a
     *                {@code jwks_secret} provider finds its JWKS document
     * @throws IllegalArgumentException also if the named secret is not in the snapshot
     */
    JwtVerifier(JwtProvider provider, Map<String, com.google.protobuf.ByteString> secrets, JwksCache jwks, Clock clock) {
        this.name = provider.getName();
        this.issuer = provider.getIssuer();
        this.audiences = Set.copyOf(provider.getAudiencesList());
        EnumSet<JwsAlgorithm> configured = EnumSet.noneOf(JwsAlgorithm.class);
        for (int i = 0; i < provider.getAlgorithmsCount(); i++) {
            JwsAlgorithm a = provider.getAlgorithms(i);
            if (a == JwsAlgorithm.UNRECOGNIZED || a == JwsAlgorithm.JWS_ALGORITHM_UNSPECIFIED) {
                throw new IllegalArgumentException("algorithms[" + i + "]: unknown algorithm");
            }
            configured.add(a);
        }
        if (configured.isEmpty()) {
            throw new IllegalArgumentException("algorithms: at least one is required");
        }
        if (provider.getIssuer().isEmpty()) {
            throw new IllegalArgumentException("issuer: is required");
        }
        this.algorithms = configured.stream().map(a -> JWSAlgorithm.parse(a.name())).collect(Collectors.toUnmodifiableSet());
        if (provider.getKeysCase() == JwtProvider.KeysCase.JWKS_JSON) {
            try {
                this.inlineKeys = JWKSet.parse(provider.getJwksJson());
            } catch (ParseException e) {
                throw new IllegalArgumentException("jwksJson: does not parse: " + e.getMessage(), e);
            }
            for (JWSAlgorithm alg : algorithms) {
                if (inlineKeys.getKeys().stream().noneMatch(key -> familyMatches(alg, key))) {
                    // every token of that algorithm would fail: refuse rather than run a provider nobody can pass
                    throw new IllegalArgumentException("jwksJson: has no key usable with " + alg.getName());
                }
            }
            this.jwksUrl = null;
        } else if (provider.getKeysCase() == JwtProvider.KeysCase.JWKS_SECRET) {
            com.google.protobuf.ByteString value = secrets.get(provider.getJwksSecret());
            if (value == null) {
                throw new IllegalArgumentException("jwksSecret: secret '" + provider.getJwksSecret()
                        + "' is not in the snapshot");
            }
            try {
                this.inlineKeys = JWKSet.parse(value.toStringUtf8());
            } catch (ParseException e) {
                // Never the parser's message: it may quote the secret.
                throw new IllegalArgumentException("jwksSecret: secret '" + provider.getJwksSecret()
                        + "' does not hold a JWKS document");
            }
            for (JWSAlgorithm alg : algorithms) {
                if (inlineKeys.getKeys().stream().noneMatch(key -> familyMatches(alg, key))) {
                    throw new IllegalArgumentException("jwksSecret: secret '" + provider.getJwksSecret()
                            + "' has no key usable with " + alg.getName());
                }
            }
            this.jwksUrl = null;
        } else if (provider.getJwksUrl().isEmpty()) {
            throw new IllegalArgumentException("jwksUrl, jwksJson or jwksSecret: one is required");
        } else {
            this.inlineKeys = null;
            this.jwksUrl = provider.getJwksUrl();
        }
        this.jwksTtl = provider.hasJwksCacheTtl() ? toDuration(provider.getJwksCacheTtl()) : ConfigDefaults.JWKS_CACHE_TTL;
        this.clockSkew = provider.hasClockSkew() ? toDuration(provider.getClockSkew()) : ConfigDefaults.JWT_CLOCK_SKEW;
        this.requiredClaims = List.copyOf(provider.getRequiredClaimsList());
        this.claimsToHeaders = Map.copyOf(provider.getClaimsToHeadersMap());
        this.stripToken = provider.getStripToken();
        if (provider.getClaimHeaderEncoding() == ClaimHeaderEncoding.UNRECOGNIZED) {
            throw new IllegalArgumentException("claimHeaderEncoding: unknown value " + provider.getClaimHeaderEncodingValue());
        }
        this.claimHeaderEncoding = provider.getClaimHeaderEncoding();
        this.jwks = jwks;
        this.clock = clock;
    }

    String name() {
        return name;
    }

    /** The {@code iss} every token of this provider carries. */
    String issuer() {
        return issuer;
    }

    /** How claim values are written into {@link #claimsToHeaders()} headers. */
    ClaimHeaderEncoding claimHeaderEncoding() {
        return claimHeaderEncoding;
    }

    /** Claim name to upstream header name. */
    Map<String, String> claimsToHeaders() {
        return claimsToHeaders;
    }

    boolean stripToken() {
        return stripToken;
    }

    /**
     * Verifies a compact JWS.
     *
     * @throws InvalidCredentialsException      if the token does not authenticate (client-safe reason)
     * @throws JwksCache.JwksUnavailableException if the provider's keys cannot be obtained at all
     */
    JWTClaimsSet verify(String token) throws InvalidCredentialsException, JwksCache.JwksUnavailableException {
        JWKSet fetched = keysIfFetched();
        JWTClaimsSet known = fetched == null ? null : verified.get(token, fetched);
        if (known != null) {
            // Signature checked before with these very keys; the claims (time above all) are not.
            checkClaims(known);
            return known;
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            // Also unsecured ("alg": "none") JWTs: their header is not a JWS header.
            throw new InvalidCredentialsException("malformed or unsigned token");
        }
        JWSHeader header = jwt.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw new InvalidCredentialsException("token algorithm is not accepted");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            throw new InvalidCredentialsException("token has unsupported critical header parameters");
        }
        JWKSet verifiedWith = signatureValid(jwt, alg, header.getKeyID(), currentKeys());
        if (verifiedWith == null) {
            throw new InvalidCredentialsException("token signature is invalid");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidCredentialsException("token claims are malformed");
        }
        checkClaims(claims);
        // Kept only once every check passed: a token that fails a claim rule now is verified again
        // next time (it may pass then, e.g. nbf), never served from here.
        verified.put(token, verifiedWith, claims);
        return claims;
    }

    /** The key set a key of which verified the signature, or null when none did. */
    private JWKSet signatureValid(SignedJWT jwt, JWSAlgorithm alg, String kid, JWKSet keys)
            throws JwksCache.JwksUnavailableException {
        List<JWK> candidates = candidates(keys, alg, kid);
        if (candidates.isEmpty() && jwksUrl != null) {
            // Possibly a rotated-in key: refetch (rate-bounded inside the cache) and look again.
            keys = jwks.refreshForUnknownKey(jwksUrl);
            candidates = candidates(keys, alg, kid);
        }
        for (JWK key : candidates) {
            try {
                if (jwt.verify(verifier(key))) {
                    return keys;
                }
            } catch (JOSEException e) {
                // Key unusable with this algorithm (e.g. an HMAC secret too short): try the next.
            }
        }
        return null;
    }

    /**
     * The keys without a first fetch: inline ones, or the remote document when it was fetched
     * before (refreshed if its TTL is up, which cannot fail once there is one). Null before the
     * first fetch, so a token's own problems are still reported before a missing JWKS is.
     */
    private JWKSet keysIfFetched() throws JwksCache.JwksUnavailableException {
        if (inlineKeys != null) {
            return inlineKeys;
        }
        return jwks.cached(jwksUrl).isPresent() ? jwks.keys(jwksUrl, jwksTtl) : null;
    }

    private JWKSet currentKeys() throws JwksCache.JwksUnavailableException {
        return inlineKeys != null ? inlineKeys : jwks.keys(jwksUrl, jwksTtl);
    }

    /** Keys that may verify {@code alg}: matching kid (when the token names one) and key family. */
    private static List<JWK> candidates(JWKSet keys, JWSAlgorithm alg, String kid) {
        List<JWK> result = new ArrayList<>(2);
        for (JWK key : keys.getKeys()) {
            if (kid != null && !kid.equals(key.getKeyID())) {
                continue;
            }
            if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
                continue;
            }
            if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())) {
                continue;
            }
            if (familyMatches(alg, key)) {
                result.add(key);
            }
        }
        return result;
    }

    private static boolean familyMatches(JWSAlgorithm alg, JWK key) {
        if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
            return key instanceof OctetSequenceKey;
        }
        if (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.PS256.equals(alg)) {
            return key instanceof RSAKey;
        }
        if (JWSAlgorithm.ES256.equals(alg)) {
            return key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve());
        }
        return false;
    }

    private static JWSVerifier verifier(JWK key) throws JOSEException {
        return switch (key) {
            case OctetSequenceKey oct -> new MACVerifier(oct.toByteArray());
            case RSAKey rsa -> new RSASSAVerifier(rsa.toRSAPublicKey());
            case ECKey ec -> new ECDSAVerifier(ec.toECPublicKey());
            default -> throw new JOSEException("unsupported key type " + key.getKeyType());
        };
    }

    private void checkClaims(JWTClaimsSet claims) throws InvalidCredentialsException {
        if (!Objects.equals(issuer, claims.getIssuer())) {
            throw new InvalidCredentialsException("token issuer is not accepted");
        }
        if (!audiences.isEmpty()) {
            List<String> aud = claims.getAudience();
            if (aud == null || aud.stream().noneMatch(audiences::contains)) {
                throw new InvalidCredentialsException("token audience is not accepted");
            }
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp != null && now.isAfter(exp.toInstant().plus(clockSkew))) {
            throw new InvalidCredentialsException("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
            throw new InvalidCredentialsException("token is not valid yet");
        }
        for (String claim : requiredClaims) {
            if (claims.getClaim(claim) == null) {
                throw new InvalidCredentialsException("token lacks a required claim (" + claim + ")");
            }
        }
    }

    private static Duration toDuration(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }
}
