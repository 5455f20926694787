package io.gatehouse.dataplane.server;

import com.google.protobuf.util.Durations;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.gatehouse.controlplane.validate.ConfigValidator;
import io.gatehouse.controlplane.validate.ValidationProblem;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.DuplicateSlashes;
import io.gatehouse.proto.config.v1.EncodedSeparators;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.HashOn;
import io.gatehouse.proto.config.v1.HeaderTransforms;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.LoadBalancing;
import io.gatehouse.proto.config.v1.LoadBalancingPolicy;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.OutlierDetection;
import io.gatehouse.proto.config.v1.PathNormalization;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitAlgorithm;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.gatehouse.proto.config.v1.Rewrite;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.config.v1.WeightedUpstream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's validation and the data plane's compile cannot drift apart unnoticed: over
 * generated configs touching every policy (mostly valid values, with invalid ones mixed in), whatever
 * the control plane accepts the data plane compiles, without a NACK; whatever it rejects comes with a
 * path for every problem.
 */
class ValidationCompileAgreementTest {

    private static final ConfigValidator VALIDATOR = new ConfigValidator();
    /** Compiles as a data plane does: routes, upstreams and every chain step's compiler. */
    private static final ProductionChain CHAIN = new ProductionChain();
    private static final SnapshotCompiler COMPILER = CHAIN.compiler();
    private static final String RSA_JWKS;
    private static final String HS_JWKS;
    /** The secret store the control plane validates against and the data plane receives in snapshots. */
    private static final Map<String, com.google.protobuf.ByteString> SECRETS;

    static {
        try {
            RSAKey rsa = new RSAKeyGenerator(2048).keyID("r1").generate();
            OctetSequenceKey oct = new OctetSequenceKeyGenerator(256).keyID("h1").generate();
            RSA_JWKS = "{\"keys\":[" + rsa.toPublicJWK().toJSONString() + "]}";
            HS_JWKS = "{\"keys\":[" + oct.toJSONString() + "]}";
            SECRETS = Map.of("jwt-hs", com.google.protobuf.ByteString.copyFromUtf8(HS_JWKS));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @AfterContainer
    static void stopHealthChecks() {
        CHAIN.close();
    }

    @Property(tries = 400)
    void whatTheControlPlaneAcceptsTheDataPlaneCompiles(@ForAll("configs") GatewayConfig config) {
        List<ValidationProblem> problems = VALIDATOR.validate(config,
                name -> Optional.ofNullable(SECRETS.get(name)).map(com.google.protobuf.ByteString::toByteArray));
        Statistics.label("validation").collect(problems.isEmpty() ? "accepted" : "rejected");
        if (!problems.isEmpty()) {
            assertThat(problems).allSatisfy(problem -> assertThat(problem.path()).as(problem.toString()).isNotBlank());
            return;
        }
        try {
            COMPILER.compile(Snapshots.snapshot(1, config).toBuilder().putAllSecrets(SECRETS).build(),
                    SnapshotSource.CONTROL_PLANE);
        } catch (SnapshotCompileException e) {
            throw new AssertionError("the control plane accepted a config the data plane NACKs: " + e.getMessage()
                    + "\n" + config, e);
        }
    }

    // --- the generator: a coherent valid config across every policy, then maybe one invalid mutation ------

    @Provide
    Arbitrary<GatewayConfig> configs() {
        Arbitrary<GatewayConfig> valid = Combinators.combine(upstreams(), Arbitraries.of(true, false),
                        route().list().ofMinSize(1).ofMaxSize(5), settings(), Arbitraries.of(true, false))
                .as((upstreams, withHs, routes, settings, consumer) -> {
                    GatewayConfig.Builder config = GatewayConfig.newBuilder().addAllUpstreams(upstreams)
                            .setSettings(settings)
                            .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer("https://idp.example")
                                    .setJwksJson(RSA_JWKS).addAlgorithms(JwsAlgorithm.RS256)
                                    .putClaimsToHeaders("email", "x-email").setStripToken(true));
                    if (withHs) {
                        // HMAC secrets live in the secret store, never inline in a config version
                        config.addJwtProviders(JwtProvider.newBuilder().setName("hs").setIssuer("https://hs.example")
                                .setJwksSecret("jwt-hs").addAlgorithms(JwsAlgorithm.HS256));
                    }
                    if (consumer) {
                        config.addConsumers(Consumer.newBuilder().setName("acme").setPlan("pro").addJwtProviders("idp"));
                    }
                    for (int i = 0; i < routes.size(); i++) {
                        config.addRoutes(routes.get(i).apply(i, withHs, consumer));
                    }
                    return config.build();
                });
        return Combinators.combine(valid, Arbitraries.of(MUTATIONS).injectNull(0.5))
                .as((config, mutation) -> mutation == null ? config : mutation.apply(config));
    }

    /** One route built from its index (unique id and path) and what the config offers (providers, plans). */
    @FunctionalInterface
    interface RouteFactory {
        Route apply(int index, boolean withHs, boolean withConsumer);
    }

    private static Arbitrary<List<Upstream>> upstreams() {
        Arbitrary<LoadBalancing> lb = Arbitraries.of(
                LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.ROUND_ROBIN).build(),
                LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.LEAST_REQUEST).build(),
                LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.CONSISTENT_HASH)
                        .setHashOn(HashOn.newBuilder().setHeader("x-user")).build(),
                LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.CONSISTENT_HASH)
                        .setHashOn(HashOn.newBuilder().setClientIp(true)).build());
        Arbitrary<HealthCheck> health = Arbitraries.of(1000L, 5000L).map(interval -> HealthCheck.newBuilder()
                .setPath("/healthz").setInterval(Durations.fromMillis(interval)).setTimeout(Durations.fromMillis(500))
                .build());
        Arbitrary<CircuitBreaker> breaker = Combinators.combine(Arbitraries.integers().between(0, 10),
                        Arbitraries.integers().between(0, 100), Arbitraries.of(true, false))
                .as((consecutive, rate, shared) -> CircuitBreaker.newBuilder().setConsecutiveFailures(consecutive)
                        .setFailureRatePercent(rate).setShared(shared).build());
        Arbitrary<Upstream.Builder> one = Combinators.combine(lb, health.injectNull(0.6), breaker.injectNull(0.6),
                        Arbitraries.of(UpstreamProtocol.HTTP1, UpstreamProtocol.H2C, UpstreamProtocol.H2),
                        Arbitraries.of(true, false))
                .as((balancing, check, cb, protocol, outliers) -> {
                    String scheme = protocol == UpstreamProtocol.H2 ? "https" : "http";
                    Upstream.Builder u = Upstream.newBuilder().setLoadBalancing(balancing).setProtocol(protocol)
                            .addTargets(Target.newBuilder().setUrl(scheme + "://10.0.0.1:8080").setWeight(2))
                            .addTargets(Target.newBuilder().setUrl(scheme + "://api.internal:8081").setRegion("eu"));
                    if (check != null) {
                        u.setHealthCheck(check);
                    }
                    if (cb != null) {
                        u.setCircuitBreaker(cb);
                    }
                    if (outliers) {
                        u.setOutlierDetection(OutlierDetection.newBuilder().setConsecutive5Xx(3));
                    }
                    return u;
                });
        return Combinators.combine(one, one).as((a, b) -> List.of(a.setName("a").build(), b.setName("b").build()));
    }

    private static Arbitrary<RouteFactory> route() {
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 2); // prefix, exact, template
        Arbitrary<Timeouts> timeouts = Arbitraries.of(Timeouts.newBuilder().setConnect(Durations.fromMillis(500)).build(),
                Timeouts.newBuilder().setRequest(Durations.fromSeconds(5)).setIdle(Durations.fromSeconds(30)).build());
        Arbitrary<RetryPolicy> retry = Arbitraries.integers().between(0, 3)
                .map(n -> RetryPolicy.newBuilder().setRetries(n).setBudgetPercent(25).build());
        Arbitrary<Integer> authKind = Arbitraries.integers().between(0, 3); // none, jwt, api key, both
        Arbitrary<Integer> limitKind = Arbitraries.integers().between(0, 7);
        Arbitrary<Boolean> cache = Arbitraries.of(true, false);
        return Combinators.combine(kind, timeouts.injectNull(0.5), retry.injectNull(0.6), authKind, limitKind, cache,
                        Arbitraries.of(true, false), edge())
                .as((k, t, r, auth, limit, cached, weighted, edge) -> (index, withHs, withConsumer) -> {
                    Route.Builder route = Route.newBuilder().setId("r" + index).mergeFrom(edge);
                    switch (k) {
                        case 0 -> route.setMatch(RouteMatch.newBuilder().setPathPrefix("/p" + index));
                        case 1 -> route.setMatch(RouteMatch.newBuilder().setPathExact("/e" + index))
                                .clearRewrite();
                        default -> route.setMatch(RouteMatch.newBuilder().setPathTemplate("/t" + index + "/{id}"));
                    }
                    if (k == 0 && route.getRewrite().hasPath()) {
                        route.setRewrite(Rewrite.newBuilder().setPrefix("/v2"));
                    } else if (k == 2 && route.getRewrite().hasPrefix()) {
                        route.setRewrite(Rewrite.newBuilder().setPath("/internal/{id}"));
                    }
                    if (weighted) {
                        route.addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("a").setWeight(70))
                                .addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("b").setWeight(30));
                    } else {
                        route.setUpstream(index % 2 == 0 ? "a" : "b");
                    }
                    if (t != null) {
                        route.setTimeouts(t);
                    }
                    if (r != null) {
                        route.setRetry(r);
                    }
                    if (auth > 0) {
                        AuthPolicy.Builder a = AuthPolicy.newBuilder();
                        if (auth != 2) {
                            a.addJwtProviders("idp");
                            if (withHs) {
                                a.addJwtProviders("hs");
                            }
                        }
                        if (auth >= 2) {
                            a.setApiKey(ApiKeyAuth.newBuilder().setQueryParam("api_key"));
                        }
                        route.setAuth(a);
                    }
                    RateLimitKey.Builder key = switch (limit) {
                        case 1 -> RateLimitKey.newBuilder().setClientIp(true);
                        case 2 -> RateLimitKey.newBuilder().setHeader("x-user");
                        case 3 -> RateLimitKey.newBuilder().setRoute(true);
                        case 4 -> auth > 0 ? RateLimitKey.newBuilder().setConsumer(true) : null;
                        case 5 -> auth > 0 ? RateLimitKey.newBuilder().setTenant(true) : null;
                        case 6 -> auth == 1 || auth == 3 ? RateLimitKey.newBuilder().setJwtClaim("email") : null;
                        case 7 -> auth == 1 || auth == 3 ? RateLimitKey.newBuilder().setJwtSubject(true) : null;
                        default -> null;
                    };
                    if (key != null) {
                        RateLimit.Builder l = RateLimit.newBuilder().setName("l" + limit).setLimit(10)
                                .setAlgorithm(RateLimitAlgorithm.forNumber(limit % 3)).setPeriod(Durations.fromSeconds(1))
                                .setKey(key);
                        if (withConsumer && auth > 0) {
                            l.addPlans("pro");
                        }
                        route.setRateLimiting(RateLimiting.newBuilder().addLimits(l).setResponseHeaders(limit % 2 == 0));
                    }
                    if (cached) {
                        route.setCache(CachePolicy.newBuilder().setTtl(Durations.fromSeconds(30))
                                .addKeyHeaders("accept-language"));
                    }
                    return route.build();
                });
    }

    /** Access, CORS, transforms, logging and path normalization of one route (as a partial Route to merge). */
    private static Arbitrary<Route> edge() {
        Arbitrary<AccessControl> access = Arbitraries.of(AccessControl.newBuilder().addAllow("10.0.0.0/8").build(),
                AccessControl.newBuilder().addDeny("203.0.113.0/24").addDeny("2001:db8::/32").build());
        Arbitrary<CorsPolicy> cors = Arbitraries.of(
                CorsPolicy.newBuilder().addAllowOrigins("https://app.example.com").addAllowMethods(HttpMethod.GET)
                        .setAllowCredentials(true).setMaxAge(Durations.fromSeconds(600)).build(),
                CorsPolicy.newBuilder().addAllowOrigins("*").addAllowHeaders("x-requested-with").build());
        Arbitrary<HeaderTransforms> transforms = Arbitraries.of(HeaderTransforms.newBuilder().putSet("x-gw", "1").build(),
                HeaderTransforms.newBuilder().addRemove("x-internal").putAdd("x-a", "b").build());
        Arbitrary<Rewrite> rewrite = Arbitraries.of(Rewrite.newBuilder().setPrefix("/").build(),
                Rewrite.newBuilder().setPath("/internal/{id}").build());
        Arbitrary<LogSampling> logging = Arbitraries.of(0.0, 0.5, 1.0)
                .map(rate -> LogSampling.newBuilder().setSampleRate(rate).build());
        Arbitrary<PathNormalization> paths = Arbitraries.of(DuplicateSlashes.MERGE_SLASHES,
                        DuplicateSlashes.REJECT_DUPLICATE_SLASHES, DuplicateSlashes.KEEP_DUPLICATE_SLASHES)
                .flatMap(d -> Arbitraries.of(EncodedSeparators.REJECT_ENCODED_SEPARATORS,
                                EncodedSeparators.KEEP_ENCODED_SEPARATORS)
                        .map(e -> PathNormalization.newBuilder().setDuplicateSlashes(d).setEncodedSeparators(e).build()));
        return Combinators.combine(access.injectNull(0.7), cors.injectNull(0.7), transforms.injectNull(0.7),
                        rewrite.injectNull(0.8), logging.injectNull(0.8), paths.injectNull(0.7))
                .as((a, c, t, r, l, p) -> {
                    Route.Builder route = Route.newBuilder();
                    if (a != null) {
                        route.setAccess(a);
                    }
                    if (c != null) {
                        route.setCors(c);
                    }
                    if (t != null) {
                        route.setRequestHeaders(t);
                    }
                    if (r != null) {
                        route.setRewrite(r);
                    }
                    if (l != null) {
                        route.setLogging(l);
                    }
                    if (p != null) {
                        route.setPathNormalization(p);
                    }
                    return route.build();
                });
    }

    private static Arbitrary<GatewaySettings> settings() {
        Arbitrary<List<String>> trusted = Arbitraries.of(List.<String>of(), List.of("10.0.0.0/8"), List.of("::1/128"));
        Arbitrary<UpstreamPolicy> upstreamPolicy = Arbitraries.of(UpstreamPolicy.getDefaultInstance(),
                UpstreamPolicy.newBuilder().addAllowedCidrs("10.0.0.0/8").addAllowedHosts("api.internal").build());
        return Combinators.combine(trusted, upstreamPolicy, Arbitraries.of(0, 2048, 16_384),
                        Arbitraries.of(0, 100, 10_000), Arbitraries.of(true, false))
                .as((proxies, policy, headerBytes, concurrent, access) -> {
                    GatewaySettings.Builder s = GatewaySettings.newBuilder().addAllTrustedProxies(proxies)
                            .setUpstreamPolicy(policy).setMaxRequestHeaderBytes(headerBytes)
                            .setMaxConcurrentRequests(concurrent);
                    if (access) {
                        s.setAccess(AccessControl.newBuilder().addDeny("192.0.2.0/24"));
                    }
                    return s.build();
                });
    }

    /** One invalid change each, across the policies; the control plane must name it with a path. */
    private static final List<java.util.function.UnaryOperator<GatewayConfig>> MUTATIONS = List.of(
            c -> c.toBuilder().setSettings(c.getSettings().toBuilder().addTrustedProxies("10.0.0.0/40")).build(),
            c -> c.toBuilder().setSettings(c.getSettings().toBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder()
                    .addAllowedCidrs("not-a-cidr"))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setAccess(AccessControl.newBuilder()
                    .addDeny("010.0.0.1"))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setCors(CorsPolicy.newBuilder()
                    .addAllowOrigins("not an origin"))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setCors(CorsPolicy.newBuilder()
                    .addAllowOrigins("*").setAllowCredentials(true))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setRateLimiting(RateLimiting.newBuilder()
                    .addLimits(RateLimit.newBuilder().setName("x").setLimit(1).setPeriod(Durations.fromSeconds(1))
                            .setKey(RateLimitKey.newBuilder().setJwtClaim(""))))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setRateLimiting(RateLimiting.newBuilder()
                    .addLimits(RateLimit.newBuilder().setName("x").setLimit(0).setPeriod(Durations.fromSeconds(1))
                            .setKey(RateLimitKey.newBuilder().setClientIp(true))))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setCache(CachePolicy.newBuilder()
                    .setTtl(Durations.fromSeconds(30)).addKeyHeaders("bad header"))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setAuth(AuthPolicy.newBuilder()
                    .addJwtProviders("missing"))).build(),
            c -> c.toBuilder().setJwtProviders(0, c.getJwtProviders(0).toBuilder().setJwksJson("not json")).build(),
            c -> c.toBuilder().setJwtProviders(0, c.getJwtProviders(0).toBuilder().setJwksJson(HS_JWKS)).build(),
            c -> c.toBuilder().setJwtProviders(0, c.getJwtProviders(0).toBuilder().setJwksSecret("missing")).build(),
            c -> c.toBuilder().setJwtProviders(0, c.getJwtProviders(0).toBuilder().setJwksSecret("jwt-hs")).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setRequestHeaders(HeaderTransforms.newBuilder()
                    .putSet("x-a", "line\r\nbreak"))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setLogging(LogSampling.newBuilder()
                    .setSampleRate(1.5))).build(),
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().clearWeightedUpstreams().setUpstream("missing"))
                    .build(),
            c -> c.toBuilder().setUpstreams(0, c.getUpstreams(0).toBuilder().setTargets(0, Target.newBuilder()
                    .setUrl("http://169.254.169.254"))).build(),
            c -> c.toBuilder().setUpstreams(0, c.getUpstreams(0).toBuilder().setHealthCheck(HealthCheck.newBuilder()
                    .setPath("/h").setInterval(Durations.fromMillis(50)))).build(),
            c -> c.toBuilder().setUpstreams(0, c.getUpstreams(0).toBuilder().setCircuitBreaker(CircuitBreaker
                    .newBuilder().setFailureRatePercent(120))).build(),
            c -> c.toBuilder().setSettings(c.getSettings().toBuilder().setMaxRequestHeaderBytes(2_000_000)).build(),
            c -> c.toBuilder().addRoutes(c.getRoutes(0)).build(), // duplicate id and match
            c -> c.toBuilder().setRoutes(0, c.getRoutes(0).toBuilder().setMatch(RouteMatch.newBuilder()
                    .setPathTemplate("/users/{id"))).build());
}
