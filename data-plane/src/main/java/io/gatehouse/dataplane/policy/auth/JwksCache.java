package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.jwk.JWKSet;
import io.gatehouse.dataplane.telemetry.StageSpan;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Remote JWKS documents by URL, fetched over HTTP and cached. One instance lives for the whole data
 * plane, so caches survive snapshot swaps (a new config with the same provider URL reuses the keys).
 *
 * <p>Refresh rules, per URL: the document is fetched when first needed and again when older than
 * the provider's cache TTL, or when a token names a {@code kid} the cached document lacks (key
 * rotation). Fetch attempts of one URL are at least {@code minRefreshInterval} apart (a flood of
 * tokens with made-up kids cannot turn the gateway into a JWKS hammer); between attempts, and
 * whenever the endpoint fails, the last good document keeps being served.
 *
 * <p>Thread-safe. One thread fetches a URL at a time (a {@link ReentrantLock} per URL, which virtual
 * threads can block on without pinning); others use the cached keys meanwhile, or wait for the
 * first fetch when there are none yet.
 */
public final class JwksCache {

    private static final Logger LOG = Logger.getLogger(JwksCache.class.getName());
    /** Default lower bound between two fetches of one URL. */
    public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(3);
    private static final int MAX_DOCUMENT_BYTES = 1 << 20;

    private final HttpClient http;
    private final Duration minRefreshInterval;
    private final LongSupplier nanoClock;
    private final ConcurrentMap<String, Entry> entries;
    private final LongAdder fetches = new LongAdder();
    private final LongAdder fetchFailures = new LongAdder();
    /** False for a {@link #cachedOnly()} view: it serves what is cached and never fetches. */
    private final boolean fetching;

    public JwksCache() {
        this(DEFAULT_MIN_REFRESH_INTERVAL, System::nanoTime);
    }

    /**
     * @param minRefreshInterval least time between two fetch attempts of one URL
     * @param nanoClock          monotonic clock in nanoseconds (tests pass a controllable one)
     */
    public JwksCache(Duration minRefreshInterval, LongSupplier nanoClock) {
        this.minRefreshInterval = minRefreshInterval;
        this.nanoClock = nanoClock;
        this.entries = new ConcurrentHashMap<>();
        this.http = HttpClient.newBuilder()
                .connectTimeout(FETCH_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.fetching = true;
    }

    private JwksCache(JwksCache shared) {
        this.minRefreshInterval = shared.minRefreshInterval;
        this.nanoClock = shared.nanoClock;
        this.http = shared.http;
        this.entries = shared.entries;
        this.fetching = false;
    }

    /**
     * A view of this cache's documents that never fetches (nor creates entries): for verifying tokens
     * against a config that is only evaluated, not in force (shadow evaluation). A URL without a
     * cached document is {@link JwksUnavailableException}; a stale document is served as it is.
     */
    public JwksCache cachedOnly() {
        return fetching ? new JwksCache(this) : this;
    }

    /** Raised when a URL has never been fetched successfully. */
    public static final class JwksUnavailableException extends Exception {
        private final boolean notCached;

        JwksUnavailableException(String message, Throwable cause) {
            this(message, cause, false);
        }

        private JwksUnavailableException(String message, Throwable cause, boolean notCached) {
            super(message, cause);
            this.notCached = notCached;
        }

        /** Raised by a {@link #cachedOnly()} view, which never fetched: nothing went wrong, nothing to log. */
        boolean notCached() {
            return notCached;
        }
    }

    /**
     * The document of {@code url}, fetching it first if it is missing or older than {@code ttl}
     * (rate permitting).
     *
     * @throws JwksUnavailableException if there is no document and fetching failed
     */
    public JWKSet keys(String url, Duration ttl) throws JwksUnavailableException {
        if (!fetching) {
            return cached(url).orElseThrow(() -> notCached(url));
        }
        Entry entry = entries.computeIfAbsent(url, Entry::new);
        Cached cached = entry.cached;
        if (cached != null && nanoClock.getAsLong() - cached.fetchedAtNanos() < ttl.toNanos()) {
            return cached.keys();
        }
        return refresh(entry, cached);
    }

    /**
     * Refetches {@code url} because a token named a key id it lacks, unless the last attempt was
     * less than the minimum interval ago; returns the (possibly unchanged) document.
     */
    public JWKSet refreshForUnknownKey(String url) throws JwksUnavailableException {
        if (!fetching) {
            return cached(url).orElseThrow(() -> notCached(url));
        }
        Entry entry = entries.computeIfAbsent(url, Entry::new);
        return refresh(entry, entry.cached);
    }

    private static JwksUnavailableException notCached(String url) {
        return new JwksUnavailableException("JWKS " + url + " is not cached (this view never fetches)", null, true);
    }

    /** Fetch attempts made so far (all URLs). */
    public long fetches() {
        return fetches.sum();
    }

    /** Fetch attempts that failed so far (all URLs). */
    public long fetchFailures() {
        return fetchFailures.sum();
    }

    private JWKSet refresh(Entry entry, Cached seen) throws JwksUnavailableException {
        if (seen != null) {
            // Someone else fetching: serve what we have rather than queue behind the I/O.
            if (!entry.lock.tryLock()) {
                return seen.keys();
            }
        } else {
            entry.lock.lock();
        }
        try {
            Cached current = entry.cached;
            if (current != seen && current != null) {
                return current.keys(); // refreshed while we waited
            }
            long now = nanoClock.getAsLong();
            if (entry.attempted && now - entry.lastAttemptNanos < minRefreshInterval.toNanos()) {
                if (current != null) {
                    return current.keys();
                }
                throw new JwksUnavailableException("JWKS " + entry.url + " is unavailable (last fetch failed: "
                        + entry.lastError + ")", null);
            }
            entry.attempted = true;
            entry.lastAttemptNanos = now;
            try {
                JWKSet fetched = fetch(entry.url);
                entry.cached = new Cached(fetched, nanoClock.getAsLong());
                entry.lastError = "";
                return fetched;
            } catch (IOException | ParseException | RuntimeException e) {
                fetchFailures.increment();
                entry.lastError = e.getMessage();
                if (current != null) {
                    LOG.log(Level.WARNING, "fetching JWKS " + entry.url + " failed (" + e.getMessage()
                            + "); keeping the cached keys");
                    return current.keys();
                }
                LOG.log(Level.WARNING, "fetching JWKS " + entry.url + " failed: " + e.getMessage());
                throw new JwksUnavailableException("JWKS " + entry.url + " is unavailable: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JwksUnavailableException("interrupted while fetching JWKS " + entry.url, e);
            }
        } finally {
            entry.lock.unlock();
        }
    }

    /** One HTTP fetch, traced as a {@code jwks.fetch} span under the request that needed the keys. */
    private JWKSet fetch(String url) throws IOException, InterruptedException, ParseException {
        fetches.increment();
        StageSpan span = StageSpan.start("jwks.fetch").attribute("http.request.method", "GET")
                .attribute("url.full", url);
        try {
            return fetch(url, span);
        } catch (IOException | InterruptedException | ParseException | RuntimeException e) {
            span.failed(e);
            throw e;
        } finally {
            span.end();
        }
    }

    private JWKSet fetch(String url, StageSpan span) throws IOException, InterruptedException, ParseException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(FETCH_TIMEOUT)
                .header("Accept", "application/jwk-set+json, application/json")
                .GET()
                .build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        span.attribute("http.response.status_code", response.statusCode());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode());
        }
        if (response.body().length > MAX_DOCUMENT_BYTES) {
            throw new IOException("document larger than " + MAX_DOCUMENT_BYTES + " bytes");
        }
        JWKSet keys = JWKSet.parse(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        LOG.fine(() -> "fetched JWKS " + url + " (" + keys.getKeys().size() + " keys)");
        // Only public keys are meaningful from a URL; drop anything else defensively.
        return keys.toPublicJWKSet();
    }

    /** The cached document of a URL, if any (never fetches). */
    Optional<JWKSet> cached(String url) {
        Entry entry = entries.get(url);
        return entry == null || entry.cached == null ? Optional.empty() : Optional.of(entry.cached.keys());
    }

    private record Cached(JWKSet keys, long fetchedAtNanos) {
    }

    /** Per-URL state; the mutable fields are written under {@code lock}. */
    private static final class Entry {
        final String url;
        final ReentrantLock lock = new ReentrantLock();
        volatile Cached cached;
        boolean attempted;
        long lastAttemptNanos;
        String lastError = "";

        Entry(String url) {
            this.url = url;
        }
    }
}
