package io.gatehouse.dataplane.testing;

import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.server.ProxyHandler;
import io.gatehouse.dataplane.policy.route.RouteLookupPolicy;
import io.gatehouse.dataplane.server.ClientListener;
import io.gatehouse.dataplane.server.Http2Limits;
import io.gatehouse.dataplane.proxy.WebSocketTunnels;
import io.gatehouse.dataplane.telemetry.WebSocketRecorder;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.helidon.webserver.WebServer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The proxy handler alone on a Helidon WebServer (loopback, ephemeral port; HTTP/1.1 and h2c as the
 * data plane's client listener), fed a config directly.
 */
public final class ProxyServer implements AutoCloseable {

    private final AtomicReference<CompiledSnapshot> snapshot = new AtomicReference<>();
    /** The compilers of the chain's steps: snapshots are compiled as a data plane with this chain would. */
    private final List<io.gatehouse.dataplane.chain.PolicyCompiler> compilers;
    private final WebServer server;
    /** Health state and checks across served snapshots, as in a data plane; closed with the server. */
    private UpstreamRuntime upstreams = new UpstreamRuntime("");

    public ProxyServer() {
        this(List.of());
    }

    /** With {@code policies} running between route lookup and forwarding, in order. */
    public ProxyServer(List<Policy> policies) {
        this(policies, new Forwarder(new UpstreamClients()));
    }

    /** With {@code policies} after route lookup and {@code terminal} (e.g. a configured Forwarder) last. */
    public ProxyServer(List<Policy> policies, Policy.Next terminal) {
        this(policies, terminal, new WebSocketTunnels(WebSocketRecorder.none()));
    }

    /**
     * As {@link #ProxyServer(List, Policy.Next)}, completing WebSocket upgrades with {@code tunnels}
     * (the same instance the terminal Forwarder was built with).
     */
    public ProxyServer(List<Policy> policies, Policy.Next terminal, WebSocketTunnels tunnels) {
        List<Policy> chain = new ArrayList<>();
        chain.add(new RouteLookupPolicy());
        chain.addAll(policies);
        PolicyChain steps = new PolicyChain(chain, terminal);
        List<io.gatehouse.dataplane.chain.PolicyCompiler> all = new ArrayList<>(steps.compilers());
        all.add(Http2Limits.COMPILER); // as DataPlane: the listener's settings.http2 slice
        this.compilers = all;
        ProxyHandler handler = new ProxyHandler(snapshot::get, steps);
        server = ClientListener.configure(WebServer.builder(), () -> Http2Limits.of(snapshot.get()), tunnels)
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(r -> r.any(ClientListener.handler(handler, tunnels)))
                .build()
                .start();
    }

    public ProxyServer serve(long version, GatewayConfig config) throws SnapshotCompileException {
        snapshot.set(new SnapshotCompiler(1000, java.time.Clock.systemUTC(), upstreams, compilers).compile(Snapshots.snapshot(version, config), SnapshotSource.CONTROL_PLANE));
        return this;
    }

    /** Serves a whole snapshot message (e.g. one carrying API keys). */
    public ProxyServer serve(io.gatehouse.proto.discovery.v1.Snapshot message) throws SnapshotCompileException {
        snapshot.set(new SnapshotCompiler(1000, java.time.Clock.systemUTC(), upstreams, compilers)
                .compile(message, SnapshotSource.CONTROL_PLANE));
        return this;
    }

    /** Compiles the next snapshots as a data plane in {@code region} (call before {@link #serve}). */
    public ProxyServer region(String region) {
        upstreams.close();
        upstreams = new UpstreamRuntime(region);
        return this;
    }

    /** The snapshot being served, null before {@link #serve}. */
    public CompiledSnapshot snapshot() {
        return snapshot.get();
    }

    /** The upstream runtime (target health, health checks) the served snapshots use. */
    public UpstreamRuntime upstreams() {
        return upstreams;
    }

    public int port() {
        return server.port();
    }

    public String url(String pathAndQuery) {
        return "http://127.0.0.1:" + port() + pathAndQuery;
    }

    @Override
    public void close() {
        server.stop();
        upstreams.close();
    }
}
