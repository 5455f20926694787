package io.gatehouse.dataplane.testing;

import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.ProxyHandler;
import io.gatehouse.dataplane.routing.RouteLookup;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.helidon.webserver.WebServer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** The proxy handler alone on a Helidon WebServer (loopback, ephemeral port), fed a config directly. */
public final class ProxyServer implements AutoCloseable {

    private final AtomicReference<CompiledSnapshot> snapshot = new AtomicReference<>();
    private final WebServer server;

    public ProxyServer() {
        this(List.of());
    }

    /** With {@code policies} running between route lookup and forwarding, in order. */
    public ProxyServer(List<Policy> policies) {
        List<Policy> chain = new ArrayList<>();
        chain.add(new RouteLookup());
        chain.addAll(policies);
        ProxyHandler handler = new ProxyHandler(snapshot::get,
                new PolicyChain(chain, new Forwarder(new UpstreamClients())));
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(r -> r.any(handler))
                .build()
                .start();
    }

    public ProxyServer serve(long version, GatewayConfig config) throws SnapshotCompileException {
        snapshot.set(new SnapshotCompiler(1000).compile(Snapshots.snapshot(version, config), SnapshotSource.CONTROL_PLANE));
        return this;
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
    }
}
