package io.gatehouse.controlplane.testing;

import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.ErrorDetail;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw discovery watch stream acting as a data plane in tests: it sends exactly what the test
 * tells it to (first request, ACK, NACK, stale replies) and queues what the control plane sends.
 * Used by one test thread at a time.
 */
public final class WatchClient implements AutoCloseable {

    private final BlockingQueue<WatchResponse> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<Status> ended = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<WatchRequest> requests;
    private final Node node;

    private WatchClient(Node node) {
        this.node = node;
    }

    /**
     * Opens a stream to {@code cp} as data plane {@code nodeId} of {@code region} (with that data
     * plane's certificate from the test CA) and sends the first request with {@code versionInfo}
     * ("" = none).
     */
    public static WatchClient open(RunningControlPlane cp, String nodeId, String region, String versionInfo) {
        return open(cp.discoveryAs(nodeId, region), nodeId, region, versionInfo);
    }

    /** Opens a stream on {@code stub}'s channel and sends the first request with {@code versionInfo} ("" = none). */
    public static WatchClient open(DiscoveryServiceGrpc.DiscoveryServiceStub stub, String nodeId, String region,
                                   String versionInfo) {
        return open(stub, nodeId, region, versionInfo, java.util.Map.of());
    }

    /** As {@link #open(DiscoveryServiceGrpc.DiscoveryServiceStub, String, String, String)}, with Node.labels. */
    public static WatchClient open(DiscoveryServiceGrpc.DiscoveryServiceStub stub, String nodeId, String region,
                                   String versionInfo, java.util.Map<String, String> labels) {
        WatchClient client = new WatchClient(Node.newBuilder().setId(nodeId).setRegion(region)
                .setBuildVersion("test").putAllLabels(labels).build());
        stub.watch(client.new Observer());
        client.send(WatchRequest.newBuilder().setNode(client.node).setVersionInfo(versionInfo).build());
        return client;
    }

    /** Opens a stream without sending anything. */
    public static WatchClient openSilent(DiscoveryServiceGrpc.DiscoveryServiceStub stub) {
        WatchClient client = new WatchClient(Node.getDefaultInstance());
        stub.watch(client.new Observer());
        return client;
    }

    public void send(WatchRequest request) {
        requests.onNext(request);
    }

    /** The next response, failing the test if none arrives within 10 s. */
    public WatchResponse next() {
        return next(Duration.ofSeconds(10));
    }

    public WatchResponse next(Duration timeout) {
        try {
            WatchResponse response = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (response == null) {
                throw new AssertionError("no WatchResponse within " + timeout.toMillis() + " ms"
                        + (ended.isDone() ? "; stream ended with " + ended.getNow(null) : ""));
            }
            return response;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Responses received but not yet taken. */
    public int pending() {
        return received.size();
    }

    /** ACKs {@code response}: runs its version now. */
    public void ack(WatchResponse response) {
        send(WatchRequest.newBuilder().setNode(node).setVersionInfo(response.getVersionInfo())
                .setResponseNonce(response.getNonce()).build());
    }

    /** NACKs {@code response}, keeping {@code keptVersion}, with {@code error}. */
    public void nack(WatchResponse response, String keptVersion, String error) {
        send(WatchRequest.newBuilder().setNode(node).setVersionInfo(keptVersion)
                .setResponseNonce(response.getNonce())
                .setErrorDetail(ErrorDetail.newBuilder().setMessage(error)).build());
    }

    /** Sends a load report (not an ACK/NACK: no nonce). */
    public void report(io.gatehouse.proto.discovery.v1.LoadReport report) {
        send(WatchRequest.newBuilder().setLoadReport(report).build());
    }

    /** Whether the stream has ended. */
    public boolean ended() {
        return ended.isDone();
    }

    /** Status the server ended the stream with; fails if it does not end within 10 s. */
    public Status awaitEnd() {
        try {
            return ended.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("stream did not end: " + e, e);
        }
    }

    /** Half-closes the stream (a clean data plane shutdown) and waits for the server to finish it. */
    @Override
    public void close() {
        if (!ended.isDone()) {
            try {
                requests.onCompleted();
            } catch (IllegalStateException ignored) {
                // already half-closed
            }
            try {
                ended.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                requests.cancel("test client closing", null);
            }
        }
    }

    private final class Observer implements ClientResponseObserver<WatchRequest, WatchResponse> {
        @Override
        public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
            requests = requestStream;
        }

        @Override
        public void onNext(WatchResponse value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.complete(Status.OK);
        }
    }
}
