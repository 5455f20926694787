package io.gatehouse.dataplane.testing;

import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.dataplane.snapshot.ActiveSnapshot;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Fixture;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A real gRPC DiscoveryService on loopback (plaintext, port 0) that the test scripts: it records
 * every {@link WatchRequest} the data plane sends and pushes the {@link WatchResponse}s the test
 * gives it on the latest stream. For what the real control plane does not do (yet): push an older
 * version, repeat a version with a {@code shadow}, read load reports.
 *
 * <p>One line per test: {@code @RegisterExtension final ScriptedControlPlane cp = new ScriptedControlPlane();}
 */
public final class ScriptedControlPlane extends Fixture {

    private final List<WatchRequest> received = new CopyOnWriteArrayList<>();
    private final AtomicLong nonces = new AtomicLong();
    private final AtomicLong streams = new AtomicLong();
    private volatile StreamObserver<WatchResponse> stream;
    private Server server;

    @Override
    protected void open() throws Exception {
        received.clear();
        stream = null;
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new DiscoveryServiceGrpc.DiscoveryServiceImplBase() {
                    @Override
                    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
                        stream = responses;
                        streams.incrementAndGet();
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(WatchRequest request) {
                                received.add(request);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                                responses.onCompleted();
                            }
                        };
                    }
                })
                .build()
                .start();
    }

    @Override
    protected void release() throws Exception {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Watch streams opened so far. */
    public long streams() {
        return streams.get();
    }

    /** Ends the latest stream with UNAVAILABLE, as a control plane replica that goes away would. */
    public synchronized void dropStream() {
        stream.onError(Status.UNAVAILABLE.withDescription("scripted: stream dropped").asRuntimeException());
    }

    /** "127.0.0.1:port". */
    public String target() {
        return "127.0.0.1:" + server.getPort();
    }

    /**
     * Pushes {@code snapshot} (and {@code shadow}, if not null) on the latest stream, waiting for one
     * to open first; returns the nonce used.
     */
    public synchronized String push(Snapshot snapshot, Shadow shadow) {
        Await.until("a data plane watches", () -> stream != null);
        String nonce = "n" + nonces.incrementAndGet();
        WatchResponse.Builder response = WatchResponse.newBuilder()
                .setVersionInfo(ActiveSnapshot.versionInfo(snapshot))
                .setNonce(nonce)
                .setSnapshot(snapshot);
        if (shadow != null) {
            response.setShadow(shadow);
        }
        stream.onNext(response.build());
        return nonce;
    }

    public String push(Snapshot snapshot) {
        return push(snapshot, null);
    }

    /** Everything received so far, in order. */
    public List<WatchRequest> received() {
        return List.copyOf(received);
    }

    /** Load reports received so far, in order. */
    public List<WatchRequest> loadReports() {
        return received.stream().filter(WatchRequest::hasLoadReport).toList();
    }

    /** Waits for the reply to the response with {@code nonce} (an ACK or a NACK). */
    public WatchRequest replyTo(String nonce) {
        return await("reply to " + nonce, r -> r.getResponseNonce().equals(nonce));
    }

    /** Waits (up to 15 s) for a received request matching {@code condition}; the first one that does. */
    public WatchRequest await(String what, Predicate<WatchRequest> condition) {
        return Await.value("the control plane received " + what,
                () -> received.stream().filter(condition).findFirst().orElse(null), Objects::nonNull);
    }
}
