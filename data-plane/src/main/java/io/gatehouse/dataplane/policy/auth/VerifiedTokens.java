package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tokens one JWT provider verified recently, so that a client sending the same token again
 * costs a SHA-256 and a map lookup instead of a signature check (an RS256 verification was most of
 * the edge chain's CPU in bench/peers.sh; Envoy's jwt_authn {@code jwt_cache_config} does the same).
 *
 * <p>What stays checked on every request: the time claims (exp, nbf) and the rest of the claim
 * rules, by the verifier, against the current clock. An entry only counts while the provider's key
 * set is the same instance it was verified with: a JWKS refresh (rotation, a key withdrawn) or a
 * new snapshot (a new verifier, a new cache) drops every earlier verification. Only tokens that
 * verified are kept, so an attacker cannot fill it with made-up ones; it is keyed by the token's
 * SHA-256 (no token text kept, no timing on its content); bounded in entries and in token size;
 * an entry also ends after {@link #MAX_AGE_NANOS}.
 *
 * <p>Thread-safe.
 */
final class VerifiedTokens {

    /** Most tokens kept per provider (per snapshot). */
    static final int MAX_ENTRIES = 10_000;
    /** Longer tokens are verified every time (and never kept). */
    static final int MAX_TOKEN_CHARS = 8192;
    static final long MAX_AGE_NANOS = 300_000_000_000L;
    /** When full, expired entries are swept at most this often; if none expired, all are dropped. */
    private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

    private record Entry(JWTClaimsSet claims, JWKSet keys, long verifiedAt) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong(System.nanoTime() - SWEEP_INTERVAL_NANOS);

    /** The claims {@code token} verified to with {@code keys}, or null (never verified, or stale). */
    JWTClaimsSet get(String token, JWKSet keys) {
        if (token.length() > MAX_TOKEN_CHARS) {
            return null;
        }
        String key = digest(token);
        Entry entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (entry.keys() != keys || System.nanoTime() - entry.verifiedAt() > MAX_AGE_NANOS) {
            entries.remove(key, entry);
            return null;
        }
        return entry.claims();
    }

    /** Records that {@code token}'s signature verified with {@code keys}, giving {@code claims}. */
    void put(String token, JWKSet keys, JWTClaimsSet claims) {
        if (token.length() > MAX_TOKEN_CHARS) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES && !makeRoom()) {
            return;
        }
        entries.put(digest(token), new Entry(claims, keys, System.nanoTime()));
    }

    /** Number of tokens kept (tests). */
    int size() {
        return entries.size();
    }

    /** Sweeps expired entries, at most once per interval; false when it is not this caller's turn. */
    private boolean makeRoom() {
        long now = System.nanoTime();
        long last = lastSweep.get();
        if (now - last < SWEEP_INTERVAL_NANOS || !lastSweep.compareAndSet(last, now)) {
            return false;
        }
        entries.values().removeIf(entry -> now - entry.verifiedAt() > MAX_AGE_NANOS);
        if (entries.size() >= MAX_ENTRIES) {
            // Ten thousand distinct live tokens within five minutes: start over rather than
            // track recency on every hit (the common case must stay a lookup).
            entries.clear();
        }
        return true;
    }

    private static String digest(String token) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            // 32 bytes as 32 chars: a compact, exact map key.
            return new String(hash, StandardCharsets.ISO_8859_1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
