package io.gatehouse.dataplane.policy.cache;

import com.google.protobuf.util.Durations;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.helidon.http.HeaderNames;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The response cache against the shared Redis (unique route ids per run) and a counting upstream. */
class ResponseCacheTest {

    @RegisterExtension static final Closer closer = new Closer();
    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static HttpServer upstream;
    private static final Map<String, AtomicInteger> HITS = new ConcurrentHashMap<>();
    private static RedisConnections redis;
    private static ProxyServer proxy;
    private static ResponseCachePolicy cache;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Stand-in authentication: identity from x-test-consumer (the route's auth config is not evaluated). */
    static final Policy FAKE_AUTH = (exchange, next) -> {
        exchange.request().headers().first(HeaderNames.create("x-test-consumer")).ifPresent(c ->
                exchange.attribute(Identity.KEY, new Identity(Identity.Method.API_KEY, c, "", "", c, Map.of(), Set.of(), "k" + c, "")));
        next.proceed(exchange);
    };

    @BeforeAll
    static void start() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // /<route>/<anything>?cc=..&vary=..&size=..&slow=1: counts hits per path (HEADs apart, under
        // "HEAD <path>"), echoes accept-language
        upstream.createContext("/", exchange -> {
            try (exchange) {
                boolean head = exchange.getRequestMethod().equals("HEAD");
                String key = (head ? "HEAD " : "") + exchange.getRequestURI().getRawPath();
                int n = HITS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                Map<String, String> q = new java.util.HashMap<>();
                String query = exchange.getRequestURI().getQuery();
                if (query != null) {
                    for (String p : query.split("&")) {
                        int eq = p.indexOf('=');
                        q.put(p.substring(0, eq), p.substring(eq + 1));
                    }
                }
                if (q.containsKey("slow")) {
                    Thread.sleep(400); // a slow upstream, so that concurrent misses overlap
                }
                if (q.containsKey("cc")) {
                    exchange.getResponseHeaders().add("Cache-Control", q.get("cc"));
                }
                if (q.containsKey("vary")) {
                    exchange.getResponseHeaders().add("Vary", q.get("vary"));
                }
                if (q.containsKey("cookie")) {
                    exchange.getResponseHeaders().add("Set-Cookie", q.get("cookie"));
                }
                String lang = exchange.getRequestHeaders().getFirst("Accept-Language");
                byte[] body = q.containsKey("size") ? new byte[Integer.parseInt(q.get("size"))]
                        : ("hit " + n + " lang " + lang).getBytes(StandardCharsets.UTF_8);
                if (head) {
                    // what real servers do: the length the GET would have, and no body
                    exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
                    exchange.sendResponseHeaders(200, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        upstream.start();
        closer.onClose(() -> upstream.stop(0));
        String url = "http://127.0.0.1:" + upstream.getAddress().getPort();
        redis = closer.track(RedisConnections.create("redis://127.0.0.1:6379", java.time.Duration.ofSeconds(2)));
        Await.until("connected to Redis", () -> redis.strings().isPresent());
        cache = new ResponseCachePolicy(redis);
        proxy = closer.track(new ProxyServer(List.of(FAKE_AUTH, cache)));
        CachePolicy settings = CachePolicy.newBuilder().setTtl(Durations.fromSeconds(60)).setMaxObjectBytes(4096).build();
        GatewayConfig base = Snapshots.config(url, "/" + RUN + "-open", "/" + RUN + "-auth", "/" + RUN + "-cookies");
        Route open = base.getRoutes(0).toBuilder().setId(RUN + "-open").setCache(settings).build();
        Route auth = base.getRoutes(1).toBuilder().setId(RUN + "-auth").setCache(settings)
                .setAuth(AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance())).build();
        Route cookies = base.getRoutes(2).toBuilder().setId(RUN + "-cookies")
                .setCache(settings.toBuilder().setStoreResponsesWithSetCookie(true)).build();
        proxy.serve(1, base.toBuilder().setRoutes(0, open).setRoutes(1, auth).setRoutes(2, cookies).build());
    }

    static HttpResponse<String> get(String path, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url(path)));
            if (headers.length > 0) {
                request.headers(headers);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static HttpResponse<String> head(String path, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url(path)))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody());
            if (headers.length > 0) {
                request.headers(headers);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static int upstreamHits(String path) {
        return HITS.getOrDefault(path, new AtomicInteger()).get();
    }

    static String open(String rest) {
        return "/" + RUN + "-open/" + rest;
    }

    @Test
    void secondRequestIsAHitWithAgeAndNormalizedQuery() {
        HttpResponse<String> first = get(open("a") + "?y=2&x=1");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        HttpResponse<String> second = get(open("a") + "?x=1&y=2"); // same params, other order
        assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(second.headers().firstValue("Age")).isPresent();
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(upstreamHits("/" + RUN + "-open/a")).isEqualTo(1);
        assertThat(get(open("a") + "?x=1&y=3").headers().firstValue("X-Cache")).hasValue("MISS");
    }

    @Test
    void noStorePrivateAndOversizedResponsesAreNotStored() {
        for (String query : List.of("?cc=no-store", "?cc=private", "?size=5000")) {
            String path = open("n" + query.hashCode());
            assertThat(get(path + query).headers().firstValue("X-Cache")).hasValue("MISS");
            HttpResponse<String> again = get(path + query);
            assertThat(again.headers().firstValue("X-Cache")).as(query).hasValue("MISS");
            assertThat(again.statusCode()).isEqualTo(200);
        }
        // max-age=0 caps the ttl to nothing
        assertThat(get(open("m") + "?cc=max-age=0").headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(get(open("m") + "?cc=max-age=0").headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(upstreamHits("/" + RUN + "-open/m")).isEqualTo(2);
    }

    @Test
    void varyKeepsVariantsApart() {
        String path = open("v") + "?vary=Accept-Language";
        assertThat(get(path, "Accept-Language", "en").body()).endsWith("lang en");
        HttpResponse<String> de = get(path, "Accept-Language", "de");
        assertThat(de.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(de.body()).endsWith("lang de");
        HttpResponse<String> en = get(path, "Accept-Language", "en");
        assertThat(en.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(en.body()).endsWith("lang en");
        assertThat(upstreamHits("/" + RUN + "-open/v")).isEqualTo(2);
    }

    @Test
    void identitySeparatesEntriesAndUnverifiedAuthorizationBypassesTheCache() {
        String auth = "/" + RUN + "-auth/i";
        assertThat(get(auth, "x-test-consumer", "ann").headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(get(auth, "x-test-consumer", "ann").headers().firstValue("X-Cache")).hasValue("HIT");
        HttpResponse<String> ben = get(auth, "x-test-consumer", "ben");
        assertThat(ben.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(upstreamHits(auth)).isEqualTo(2);
        // ann authenticated by API key: an Authorization header would reach the upstream unverified
        assertThat(get(auth, "x-test-consumer", "ann", "Authorization", "Basic YW5uOng=").headers()
                .firstValue("X-Cache")).hasValue("MISS");
        assertThat(upstreamHits(auth)).isEqualTo(3);

        // on the shared route, Authorization is never served from the shared entry
        String shared = open("s");
        get(shared);
        assertThat(get(shared).headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(get(shared, "Authorization", "Bearer x").headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(upstreamHits("/" + RUN + "-open/s")).isEqualTo(2);
    }

    @Test
    void responsesSettingACookieAreNotStoredUnlessTheRouteAllowsIt() {
        String path = open("c") + "?cookie=sid%3Dann";
        long skippedBefore = cache.setCookieNotStored().sum();
        HttpResponse<String> first = get(path);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(first.headers().allValues("Set-Cookie")).containsExactly("sid=ann");
        HttpResponse<String> second = get(path);
        assertThat(second.headers().firstValue("X-Cache")).as("not stored: the body may belong to that session")
                .hasValue("MISS");
        assertThat(second.body()).startsWith("hit 2 ");
        assertThat(upstreamHits("/" + RUN + "-open/c")).isEqualTo(2);
        assertThat(cache.setCookieNotStored().sum() - skippedBefore).isEqualTo(2);

        String allowed = "/" + RUN + "-cookies/c?cookie=sid%3Dann";
        assertThat(get(allowed).headers().allValues("Set-Cookie")).containsExactly("sid=ann");
        HttpResponse<String> hit = get(allowed);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.headers().allValues("Set-Cookie")).as("stored, but never the cookie").isEmpty();
        assertThat(upstreamHits("/" + RUN + "-cookies/c")).isEqualTo(1);
    }

    @Test
    void concurrentMissesCollapseIntoOneUpstreamCall() throws Exception {
        String path = open("slow") + "?slow=1";
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < 6; i++) {
                futures.add(pool.submit(() -> get(path)));
            }
            for (Future<HttpResponse<String>> f : futures) {
                assertThat(f.get().statusCode()).isEqualTo(200);
                assertThat(f.get().body()).startsWith("hit 1 ");
            }
        }
        assertThat(upstreamHits("/" + RUN + "-open/slow")).isEqualTo(1);
    }

    @Test
    void headIsServedFromTheGetEntryWithItsContentLengthAndNoBody() throws Exception {
        String path = open("h");
        String host = "127.0.0.1:" + proxy.port();
        // All on one connection: the server reads the HEAD only after the first GET's handler returned, so
        // after its entry was stored (the store follows the relayed body; a second connection could race it).
        // HEAD hit, then GET hit: a body after the HEAD response would garble the GET.
        List<RawHttp.Response> responses = RawHttp.exchangeOnOneConnection(proxy.port(),
                "GET " + path + " HTTP/1.1\r\nHost: " + host, "HEAD " + path + " HTTP/1.1\r\nHost: " + host,
                "GET " + path + " HTTP/1.1\r\nHost: " + host);
        RawHttp.Response miss = responses.get(0);
        assertThat(miss.header("x-cache")).isEqualTo("MISS");
        int length = miss.body().length;
        RawHttp.Response head = responses.get(1);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("x-cache")).isEqualTo("HIT");
        assertThat(head.hasHeader("age")).isTrue();
        assertThat(head.headers().get("content-length")).containsExactly(Integer.toString(length));
        assertThat(head.hasHeader("transfer-encoding")).isFalse();
        RawHttp.Response getAfter = responses.get(2);
        assertThat(getAfter.status()).isEqualTo(200);
        assertThat(getAfter.header("x-cache")).isEqualTo("HIT");
        assertThat(getAfter.text()).isEqualTo(miss.text());

        assertThat(upstreamHits(path)).isEqualTo(1);
        assertThat(upstreamHits("HEAD " + path)).isZero();
    }

    @Test
    void headMissIsForwardedAsHeadAndDoesNotPoisonTheGetEntry() {
        String path = open("hm");
        HttpResponse<String> first = head(path);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(first.body()).isEmpty();
        assertThat(head(path).headers().firstValue("X-Cache")).as("a HEAD response is not stored").hasValue("MISS");
        assertThat(upstreamHits("HEAD " + path)).isEqualTo(2);
        assertThat(upstreamHits(path)).isZero();

        HttpResponse<String> get = get(path);
        assertThat(get.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(get.body()).isEqualTo("hit 1 lang null");
        assertThat(get.headers().firstValue("Content-Length")).hasValue(Integer.toString(get.body().length()));
        HttpResponse<String> again = get(path);
        assertThat(again.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(again.body()).isEqualTo("hit 1 lang null");
        HttpResponse<String> headHit = head(path);
        assertThat(headHit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(headHit.headers().firstValue("Content-Length")).hasValue(Integer.toString(get.body().length()));
        assertThat(upstreamHits(path)).isEqualTo(1);
        assertThat(upstreamHits("HEAD " + path)).isEqualTo(2);
    }

    @Test
    void headFollowsVaryToTheMatchingVariant() throws Exception {
        String path = open("hv") + "?vary=Accept-Language";
        String host = "Host: 127.0.0.1:" + proxy.port();
        // On one connection, so the GET's entry is stored before the HEAD is read (see above).
        List<RawHttp.Response> responses = RawHttp.exchangeOnOneConnection(proxy.port(),
                "GET " + path + " HTTP/1.1\r\n" + host + "\r\nAccept-Language: en",
                "HEAD " + path + " HTTP/1.1\r\n" + host + "\r\nAccept-Language: en",
                "HEAD " + path + " HTTP/1.1\r\n" + host + "\r\nAccept-Language: de");
        String en = responses.get(0).text();
        RawHttp.Response headEn = responses.get(1);
        assertThat(headEn.header("x-cache")).isEqualTo("HIT");
        assertThat(headEn.header("content-length")).isEqualTo(Integer.toString(en.length()));
        assertThat(responses.get(2).header("x-cache")).isEqualTo("MISS");
    }
}
