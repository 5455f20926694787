package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel to the control plane's admin API for the life of one command: TLS with an admin
 * client certificate (or plaintext for a --insecure-plaintext control plane), see {@link ClientTransport}.
 *
 * <p>Every call made through {@link #admin()} carries its own deadline of {@code timeout}, so a
 * hung control plane turns into DEADLINE_EXCEEDED (exit 3) instead of a hung shell. Not shared
 * between threads; close it when the command ends.
 */
public final class ControlPlaneClient implements AutoCloseable {

    private final ServerAddress address;
    private final Duration timeout;
    private final ManagedChannel channel;
    /** Propagates a trace context to the control plane when OTEL_* configures an exporter. */
    private final CliTracing tracing = CliTracing.fromEnvironment();
    private final io.grpc.Channel traced;

    /** Sends the admin token with every call; null = none. */
    private final io.grpc.CallCredentials token;

    ControlPlaneClient(ServerAddress address, Duration timeout, ClientTransport transport, java.util.Optional<String> token) {
        this.address = address;
        this.timeout = timeout;
        this.token = token.map(BearerToken::new).orElse(null);
        this.channel = Grpc.newChannelBuilder(address.target(), transport.credentials())
                .userAgent("gatehouse-cli")
                .build();
        this.traced = tracing.wrap(channel);
    }

    /** The address this client talks to, for messages. */
    public ServerAddress address() {
        return address;
    }

    /** A stub whose next call must finish within the configured timeout; take a fresh one per call. */
    public AdminServiceGrpc.AdminServiceBlockingStub admin() {
        AdminServiceGrpc.AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(traced)
                .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return token == null ? stub : stub.withCallCredentials(token);
    }

    @Override
    public void close() {
        tracing.close();
        channel.shutdownNow();
        try {
            // Bounded: the command is over either way, this only lets Netty release its threads.
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
