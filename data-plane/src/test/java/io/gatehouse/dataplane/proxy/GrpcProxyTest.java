package io.gatehouse.dataplane.proxy;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.policy.auth.AuthPolicies;
import io.gatehouse.dataplane.policy.auth.JwksCache;
import io.gatehouse.dataplane.policy.grpc.GrpcPolicy;
import io.gatehouse.dataplane.policy.ratelimit.RateLimitPolicy;
import io.gatehouse.dataplane.policy.ratelimit.RateLimiter;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.testing.GrpcTestUpstream;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GrpcRoute;
import io.gatehouse.proto.config.v1.HeaderMatch;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.dataplane.testing.GrpcTestUpstream.CHAT;
import static io.gatehouse.dataplane.testing.GrpcTestUpstream.COUNT;
import static io.gatehouse.dataplane.testing.GrpcTestUpstream.JOIN;
import static io.gatehouse.dataplane.testing.GrpcTestUpstream.SAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * grpc-java client → gateway (h2c, the chain with route lookup, gRPC, rate limit, auth) →
 * grpc-java server, all on loopback: the four call shapes, trailers and upstream statuses passed
 * through, grpc-timeout as the deadline, and each gateway error as its gRPC status.
 */
class GrpcProxyTest {

    private static final String KEY = "ghk_00000000000000a1_" + "A".repeat(43);
    private static final Metadata.Key<String> ROUTE_HEADER = Metadata.Key.of("x-test-route", Metadata.ASCII_STRING_MARSHALLER);

    private static GrpcTestUpstream upstream;
    private static ProxyServer proxy;
    private static RedisConnections redis;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        upstream = GrpcTestUpstream.start();
        redis = RedisConnections.create("redis://127.0.0.1:1", Duration.ofMillis(200)); // none: local limits
        AuthPolicies auth = new AuthPolicies(new JwksCache(), Clock.systemUTC());
        proxy = new ProxyServer(List.of(new GrpcPolicy(),
                new RateLimitPolicy(RateLimitPolicy.Position.BEFORE_AUTHENTICATION, new RateLimiter(redis)),
                auth.authentication(), auth.authorization()));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        GatewayConfig base = Snapshots.config(upstream.url());
        GatewayConfig config = base.toBuilder()
                .setUpstreams(0, base.getUpstreams(0).toBuilder().setProtocol(UpstreamProtocol.H2C))
                .addUpstreams(Snapshots.upstream("down", "http://127.0.0.1:" + closedPort).toBuilder()
                        .setProtocol(UpstreamProtocol.H2C))
                .addRoutes(grpcRoute("echo", "/gatehouse.test.Echo", "backend", null))
                .addRoutes(grpcRoute("down", "/gatehouse.test.Down", "down", null))
                .addRoutes(grpcRoute("short", "/gatehouse.test.Echo", "backend", "short").toBuilder()
                        .setTimeouts(Timeouts.newBuilder().setRequest(Durations.fromMillis(300))).build())
                .addRoutes(grpcRoute("limited", "/gatehouse.test.Echo", "backend", "limited").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(RateLimit.newBuilder().setName("one")
                                .setLimit(1).setFallbackLimit(1).setPeriod(Durations.fromSeconds(60))
                                .setKey(RateLimitKey.newBuilder().setRoute(true)))).build())
                .addRoutes(grpcRoute("auth", "/gatehouse.test.Echo", "backend", "auth").toBuilder()
                        .setAuth(AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance())
                                .addRequiredScopes("echo:write")).build())
                .addConsumers(io.gatehouse.proto.config.v1.Consumer.newBuilder().setName("acme"))
                .build();
        proxy.serve(Snapshots.snapshot(1, config).toBuilder().addApiKeys(ApiKey.newBuilder()
                .setKeyId("00000000000000a1").setSha256(sha256(KEY)).setConsumer("acme")
                .addScopes("echo:read")).setKeysRevision(1).build());
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", proxy.port(), InsecureChannelCredentials.create())
                .build();
    }

    private static String sha256(String key) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static Route grpcRoute(String id, String prefix, String upstream, String routeHeader) {
        RouteMatch.Builder match = RouteMatch.newBuilder().setPathPrefix(prefix);
        if (routeHeader != null) {
            match.addHeaders(HeaderMatch.newBuilder().setName("x-test-route").setExact(routeHeader));
        }
        return Route.newBuilder().setId(id).setMatch(match).setUpstream(upstream)
                .setGrpc(GrpcRoute.newBuilder().setEnabled(true)).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        proxy.close();
        upstream.close();
        redis.close();
    }

    private static Channel via(String route, String apiKey) {
        Metadata headers = new Metadata();
        headers.put(ROUTE_HEADER, route);
        if (apiKey != null) {
            headers.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), apiKey);
        }
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static Status.Code failure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void unaryCallIsRelayedWithForwardingMetadata() {
        assertThat(ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT, "world")).isEqualTo("hello world");
        Metadata seen = upstream.lastHeaders();
        assertThat(seen.get(Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("127.0.0.1");
        assertThat(seen.get(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER))).isNotBlank();
        assertThat(seen.get(Metadata.Key.of("via", Metadata.ASCII_STRING_MARSHALLER))).contains("gatehouse");
    }

    @Test
    void serverStreamingCallRelaysEveryMessage() {
        List<String> got = new ArrayList<>();
        ClientCalls.blockingServerStreamingCall(channel, COUNT, CallOptions.DEFAULT, "5").forEachRemaining(got::add);
        assertThat(got).containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void clientStreamingCallRelaysEveryMessage() throws Exception {
        CompletableFuture<String> result = new CompletableFuture<>();
        var requests = ClientCalls.asyncClientStreamingCall(channel.newCall(JOIN, CallOptions.DEFAULT),
                new io.grpc.stub.StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext("a");
        requests.onNext("b");
        requests.onNext("c");
        requests.onCompleted();
        assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("a,b,c");
    }

    /** Ping-pong: each answer must arrive before the next request is sent, so both directions are live at once. */
    @Test
    void bidiStreamingIsFullDuplex() throws Exception {
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        ClientCall<String, String> call = channel.newCall(CHAT, CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(String message) {
                received.add(message);
                call.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                received.add(status);
            }
        }, new Metadata());
        call.request(1);
        for (String ping : List.of("one", "two", "three")) {
            call.sendMessage(ping);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo:" + ping);
        }
        call.halfClose();
        assertThat(((Status) received.poll(10, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.OK);
    }

    @Test
    void upstreamStatusMessageAndTrailersPassThrough() {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT, "status:NOT_FOUND"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("upstream says NOT_FOUND");
                    assertThat(e.getTrailers().get(GrpcTestUpstream.DETAIL)).isEqualTo("yes");
                });
    }

    @Test
    void grpcTimeoutBecomesTheUpstreamDeadline() {
        String left = ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                "deadline");
        assertThat(Long.parseLong(left)).isBetween(1L, 5000L);
        // Without one, the route's request timeout (30 s by default) bounds the call.
        String routeLimit = ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT, "deadline");
        assertThat(Long.parseLong(routeLimit)).isBetween(5001L, 30_000L);
    }

    @Test
    void routeTimeoutAnswersDeadlineExceeded() {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(via("short", null), SAY, CallOptions.DEFAULT, "slow"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                    assertThat(e.getStatus().getDescription()).contains("upstream 'backend'")
                            .doesNotContain("127.0.0.1");
                });
    }

    @Test
    void noReachableUpstreamIsUnavailable() {
        MethodDescriptor<String, String> down = SAY.toBuilder().setFullMethodName("gatehouse.test.Down/Say").build();
        assertThat(failure(() -> ClientCalls.blockingUnaryCall(channel, down, CallOptions.DEFAULT, "x")))
                .isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void noRouteIsUnimplemented() {
        MethodDescriptor<String, String> nowhere = SAY.toBuilder().setFullMethodName("gatehouse.test.Nowhere/Say").build();
        assertThat(failure(() -> ClientCalls.blockingUnaryCall(channel, nowhere, CallOptions.DEFAULT, "x")))
                .isEqualTo(Status.Code.UNIMPLEMENTED);
    }

    @Test
    void rateLimitIsResourceExhausted() {
        assertThat(ClientCalls.blockingUnaryCall(via("limited", null), SAY, CallOptions.DEFAULT, "a")).isEqualTo("hello a");
        assertThat(failure(() -> ClientCalls.blockingUnaryCall(via("limited", null), SAY, CallOptions.DEFAULT, "b")))
                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void missingCredentialsAreUnauthenticatedAndMissingScopePermissionDenied() {
        assertThat(failure(() -> ClientCalls.blockingUnaryCall(via("auth", null), SAY, CallOptions.DEFAULT, "a")))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(failure(() -> ClientCalls.blockingUnaryCall(via("auth", KEY), SAY, CallOptions.DEFAULT, "a")))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void largeMessagesRelayBothWays() {
        String big = "x".repeat(3 * 1024 * 1024);
        assertThat(ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT, big)).hasSize(big.length() + 6);
    }
}
