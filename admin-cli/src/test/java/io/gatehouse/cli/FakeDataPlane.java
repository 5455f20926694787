package io.gatehouse.cli;

import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.ErrorDetail;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A data plane reduced to its watch stream: a real gRPC client of the real control plane that
 * says hello and ACKs or NACKs what it is sent, as the test tells it. Used from the test thread only.
 */
final class FakeDataPlane implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
    private final StreamObserver<WatchRequest> requests;
    private final Node node;

    FakeDataPlane(DiscoveryServiceGrpc.DiscoveryServiceStub discovery, String id, String region) {
        this.node = Node.newBuilder().setId(id).setRegion(region).setBuildVersion("test").build();
        this.requests = discovery.watch(new StreamObserver<>() {
            @Override
            public void onNext(WatchResponse response) {
                responses.add(response);
            }

            @Override
            public void onError(Throwable t) {
                // The stream ended (e.g. the test is closing); nextSnapshot() then times out.
            }

            @Override
            public void onCompleted() {
            }
        });
        requests.onNext(WatchRequest.newBuilder().setNode(node).build());
    }

    /** The next snapshot the control plane pushes; fails after 10 s. */
    WatchResponse nextSnapshot() throws InterruptedException {
        WatchResponse response = responses.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (response == null) {
            throw new AssertionError(node.getId() + " got no snapshot within " + WAIT);
        }
        return response;
    }

    void ack(WatchResponse response) {
        requests.onNext(WatchRequest.newBuilder()
                .setNode(node)
                .setVersionInfo(response.getVersionInfo())
                .setResponseNonce(response.getNonce())
                .build());
    }

    void nack(WatchResponse response, String keptVersion, String error) {
        requests.onNext(WatchRequest.newBuilder()
                .setNode(node)
                .setVersionInfo(keptVersion)
                .setResponseNonce(response.getNonce())
                .setErrorDetail(ErrorDetail.newBuilder().setMessage(error))
                .build());
    }

    @Override
    public void close() {
        requests.onCompleted();
    }
}
