package io.gatehouse.dataplane.policy.cache;

import io.gatehouse.dataplane.routing.CompiledRoute;
import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.redis.RedisCircuitBreaker;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.telemetry.StageSpan;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerResponse;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The response cache ({@code routes[].cache}, opt-in), stored in Redis. Only GET responses are stored;
 * a HEAD request is served from the GET entry of the same key (status and headers, with the entry's
 * Content-Length, no body) and a HEAD miss is forwarded as HEAD and not stored. Only statuses 200,
 * 203, 204, 300, 301, 404 and 410; never responses with {@code Cache-Control: no-store}, {@code private} or {@code no-cache}, or
 * {@code Vary: *}, nor (unless the route sets {@code store_responses_with_set_cookie}) responses
 * carrying {@code Set-Cookie}. Lifetime = the route's ttl, capped by {@code s-maxage}/{@code max-age}.
 *
 * <p>Key: see {@link CacheKey} (on routes with auth, one set of entries per identity unless the route
 * shares them). A request carrying an {@code Authorization} header the gateway did not verify bypasses
 * the cache (never served from, never stored). Redis keys: {@code gh:cache:{<route>}:<path>|<hash>}
 * (the readable path is what {@code gatehouse cache purge --prefix} matches).
 *
 * <p>Store: the body is teed while it streams to the client, up to {@code max_object_bytes}
 * (default 1 MiB); larger responses are passed through and not cached. Responses carry
 * {@code X-Cache: HIT|MISS} and, on hits, {@code Age}. Concurrent misses for one key on this data
 * plane collapse into one upstream call (single flight): the others wait for it and read the stored
 * entry, or go upstream themselves if it was not cacheable. Redis trouble = a miss (never a 5xx);
 * a breaker skips Redis while it is down. Thread-safe.
 */
public final class ResponseCachePolicy implements Policy {

    private static final Logger LOG = Logger.getLogger(ResponseCachePolicy.class.getName());
    static final Set<Integer> CACHEABLE = Set.of(200, 203, 204, 300, 301, 404, 410);
    /** Response headers never stored: per request, per hop or per user. */
    private static final Set<String> NOT_STORED = Set.of("x-request-id", "x-cache", "age", "set-cookie",
            "x-trace-id", "traceparent", "connection", "transfer-encoding", "keep-alive", "content-length");

    /**
     * A route's cache settings.
     *
     * @param authenticated         the route has auth: the key has an identity part
     * @param shareAcrossIdentities one set of entries for every caller of an authenticated route
     * @param storeSetCookie        responses with Set-Cookie are stored (without their cookies)
     */
    record Rules(String routeId, long ttlMillis, List<String> keyHeaders, int maxObjectBytes, boolean authenticated,
                 boolean shareAcrossIdentities, boolean storeSetCookie) {
    }

    private final RedisConnections redis;
    private final RedisCircuitBreaker breaker;
    private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder redisFailures = new LongAdder();
    private final LongAdder setCookieNotStored = new LongAdder();

    public ResponseCachePolicy(RedisConnections redis) {
        this.redis = redis;
        this.breaker = new RedisCircuitBreaker();
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute compiled = CompiledRoute.of(exchange);
        Rules route = compiled == null ? null : compiled.parts().get(CacheCompiler.ROUTE);
        Method method = exchange.request().prologue().method();
        if (route == null || (method != Method.GET && method != Method.HEAD)) {
            next.proceed(exchange);
            return;
        }
        boolean head = method == Method.HEAD;
        Optional<String> identityPart = CacheKey.identityPart(exchange, route);
        if (identityPart.isEmpty()) {
            // an unverified credential goes upstream: never served from (or stored into) an entry
            exchange.onResponseHeaders(h -> h.set("X-Cache", "MISS"));
            next.proceed(exchange);
            return;
        }
        String path = exchange.path();
        String base = CacheKey.base(exchange, route, identityPart.get());
        String baseRedisKey = CacheKey.redisKey(route.routeId(), path, base);
        if (serveFromCache(exchange, route, path, base, baseRedisKey, head)) {
            return;
        }
        if (head) {
            // Not stored. A HEAD response has no content (RFC 9110 §9.3.2), so it cannot become the GET
            // entry. A separate header-only entry is not worth it either: a server MAY omit from HEAD the
            // headers it computes while generating content (Content-Length among them), so such an entry
            // would be a less faithful copy of what the GET entry already answers, and HEAD-only traffic
            // would fill Redis with entries no GET can use. The next GET fills the entry HEAD then hits.
            misses.increment();
            exchange.onResponseHeaders(h -> h.set("X-Cache", "MISS"));
            next.proceed(exchange);
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> leader = inFlight.putIfAbsent(baseRedisKey, mine);
        if (leader != null) {
            try {
                leader.get(CompiledRoute.of(exchange).timeouts().request().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // the leader failed or took too long: go upstream ourselves
            }
            if (serveFromCache(exchange, route, path, base, baseRedisKey, false)) {
                return;
            }
            fetch(exchange, next, route, path, base, baseRedisKey); // not cacheable: our own upstream call
            return;
        }
        try {
            fetch(exchange, next, route, path, base, baseRedisKey);
        } finally {
            inFlight.remove(baseRedisKey, mine);
            mine.complete(null);
        }
    }

    /** Forwards the request, tees the body and stores the response if it is cacheable. */
    private void fetch(Exchange exchange, Next next, Rules route, String path, String base, String baseRedisKey) {
        misses.increment();
        Capture capture = new Capture();
        exchange.onResponseHeaders(headers -> {
            if (capture.headers(headers, exchange.response(), route)) {
                setCookieNotStored.increment();
            }
        });
        exchange.wrapResponseBody(out -> capture.copy = new CappedCopy(out, route.maxObjectBytes()));
        next.proceed(exchange);
        if (capture.ttlMillis <= 0) {
            return;
        }
        byte[] body = capture.copy == null ? new byte[0] : capture.copy.bytes();
        if (body == null) {
            return; // larger than max_object_bytes: passed through only
        }
        CacheEntry.Response entry = new CacheEntry.Response(capture.status, System.currentTimeMillis(),
                capture.stored, body);
        if (capture.vary.isEmpty()) {
            store(baseRedisKey, CacheEntry.encode(entry), capture.ttlMillis);
        } else {
            store(baseRedisKey, CacheEntry.encode(new CacheEntry.Vary(capture.vary)), capture.ttlMillis);
            store(CacheKey.redisKey(route.routeId(), path, CacheKey.variant(exchange, base, capture.vary)),
                    CacheEntry.encode(entry), capture.ttlMillis);
        }
    }

    /** The upstream response as seen by the header hook: whether and what to store. */
    private static final class Capture {
        int status;
        long ttlMillis;
        List<Map.Entry<String, String>> stored = List.of();
        List<String> vary = List.of();
        CappedCopy copy;

        /** Decides whether to store; true when only a Set-Cookie the route does not allow prevented it. */
        boolean headers(ResponseHeaders headers, ServerResponse response, Rules route) {
            headers.set("X-Cache", "MISS");
            status = headers.status();
            if (!CACHEABLE.contains(status)) {
                return false;
            }
            List<String> cacheControl = new ArrayList<>();
            List<String> varyNames = new ArrayList<>();
            List<Map.Entry<String, String>> kept = new ArrayList<>();
            boolean setCookie = false;
            for (Header header : response.headers()) {
                String name = header.name().toLowerCase(Locale.ROOT);
                setCookie |= name.equals("set-cookie");
                for (String value : header.allValues()) {
                    if (name.equals("cache-control")) {
                        cacheControl.add(value);
                    } else if (name.equals("vary")) {
                        for (String v : value.split(",")) {
                            if (!v.isBlank()) {
                                varyNames.add(v.strip().toLowerCase(Locale.ROOT));
                            }
                        }
                    }
                    if (!NOT_STORED.contains(name) && !name.startsWith("ratelimit-")) {
                        kept.add(Map.entry(header.name(), value));
                    }
                }
            }
            CacheControl control = CacheControl.parse(cacheControl);
            if (control.noStore() || control.isPrivate() || control.noCache() || varyNames.contains("*")) {
                return false;
            }
            if (setCookie && !route.storeSetCookie()) {
                // A cookie is set for one client (often a session): the body it came with may be too.
                return true;
            }
            long ttl = route.ttlMillis();
            if (control.maxAgeSeconds().isPresent()) {
                ttl = Math.min(ttl, control.maxAgeSeconds().getAsLong() * 1000);
            }
            ttlMillis = ttl;
            stored = List.copyOf(kept);
            vary = varyNames.stream().distinct().sorted().toList();
            return false;
        }
    }

    /** Answers from the GET entry of the key if there is one; for {@code head} without the body. */
    private boolean serveFromCache(Exchange exchange, Rules route, String path, String base, String baseRedisKey,
                                   boolean head) {
        Optional<CacheEntry> entry = load(baseRedisKey);
        if (entry.isPresent() && entry.get() instanceof CacheEntry.Vary vary) {
            entry = load(CacheKey.redisKey(route.routeId(), path, CacheKey.variant(exchange, base, vary.headerNames())));
        }
        if (entry.isEmpty() || !(entry.get() instanceof CacheEntry.Response response)) {
            return false;
        }
        hits.increment();
        ServerResponse out = exchange.response();
        out.status(response.status());
        for (Map.Entry<String, String> header : response.headers()) {
            out.headers().add(HeaderValues.create(HeaderNames.create(header.getKey()), header.getValue()));
        }
        long age = Math.max(0, (System.currentTimeMillis() - response.storedAtMillis()) / 1000);
        out.header("Age", Long.toString(age));
        out.header("X-Cache", "HIT");
        out.header("x-request-id", exchange.requestId());
        exchange.runResponseHeaderHooks(new ResponseHeaders(out, response.status()));
        if (response.status() == 204) {
            out.send();
        } else if (head) {
            // RFC 9110 §8.6: HEAD may carry the Content-Length the GET would have; the entity stays empty.
            out.header(HeaderNames.CONTENT_LENGTH, Integer.toString(response.body().length));
            out.send();
        } else {
            out.send(response.body());
        }
        return true;
    }

    private Optional<CacheEntry> load(String key) {
        if (!breaker.tryAcquire()) {
            return Optional.empty();
        }
        Optional<RedisClusterAsyncCommands<byte[], byte[]>> connection = redis.bytes();
        if (connection.isEmpty()) {
            breaker.onFailure();
            return Optional.empty();
        }
        StageSpan span = redisSpan("cache.lookup", "GET");
        try {
            // Untimed: Lettuce fails the command after its command timeout (see RateLimiter.evaluate).
            byte[] data = connection.get().get(key.getBytes(StandardCharsets.UTF_8)).get();
            breaker.onSuccess();
            span.attribute("gatehouse.cache.result", data == null ? "miss" : "hit");
            return data == null ? Optional.empty() : Optional.of(CacheEntry.decode(data));
        } catch (IllegalArgumentException e) {
            span.failed(e); // an entry this version cannot decode: a miss
            return Optional.empty();
        } catch (InterruptedException e) {
            span.failed(e);
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            span.failed(e);
            failed("lookup", e);
            return Optional.empty();
        } finally {
            span.end();
        }
    }

    /** A span around one cache round trip to Redis (a child of the request's server span when traced). */
    private static StageSpan redisSpan(String name, String operation) {
        return StageSpan.start(name).attribute("db.system", "redis").attribute("db.operation.name", operation);
    }

    private void store(String key, byte[] value, long ttlMillis) {
        if (!breaker.tryAcquire()) {
            return;
        }
        Optional<RedisClusterAsyncCommands<byte[], byte[]>> connection = redis.bytes();
        if (connection.isEmpty()) {
            breaker.onFailure();
            return;
        }
        StageSpan span = redisSpan("cache.store", "SET").attribute("gatehouse.cache.bytes", value.length);
        try {
            connection.get().set(key.getBytes(StandardCharsets.UTF_8), value, SetArgs.Builder.px(ttlMillis))
                    .get();
            breaker.onSuccess();
        } catch (InterruptedException e) {
            span.failed(e);
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            span.failed(e);
            failed("store", e);
        } finally {
            span.end();
        }
    }

    private void failed(String what, Exception e) {
        breaker.onFailure();
        redisFailures.increment();
        LOG.log(Level.FINE, "cache " + what + " in Redis failed; serving without the cache", e);
    }

    @Override
    public PolicyCompiler compiler() {
        return new CacheCompiler();
    }

    /** Responses served from the cache; for metrics. */
    public LongAdder hits() {
        return hits;
    }

    /** Cacheable requests that went upstream; for metrics. */
    public LongAdder misses() {
        return misses;
    }

    /** Failed Redis lookups/stores; for metrics. */
    public LongAdder redisFailures() {
        return redisFailures;
    }

    /** Otherwise cacheable responses not stored because they carried Set-Cookie; for metrics. */
    public LongAdder setCookieNotStored() {
        return setCookieNotStored;
    }
}
