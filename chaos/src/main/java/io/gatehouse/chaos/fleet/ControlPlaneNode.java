package io.gatehouse.chaos.fleet;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One control plane replica as a process ({@code java -jar gatehouse-control-plane.jar}) with mutual
 * TLS, the KEK and the bootstrap token, and a gRPC channel of the harness's own to read its
 * {@code grpc.health.v1} status (what a Kubernetes gRPC readiness probe reads).
 */
public final class ControlPlaneNode implements AutoCloseable {

    private final String replicaId;
    private final int port;
    private final ManagedProcess process;
    private final ManagedChannel channel;

    ControlPlaneNode(String replicaId, Path jar, FleetPki pki, String jdbcUrl, Path logDir) throws IOException {
        this.replicaId = replicaId;
        this.port = Ports.free();
        List<String> args = List.of("--db-url", jdbcUrl, "--db-user", PostgresServer.USER, "--bind", "127.0.0.1",
                "--port", Integer.toString(port), "--http-port", Integer.toString(Ports.free()), "--replica-id", replicaId,
                "--tls-cert", pki.file("control-plane.pem").toString(),
                "--tls-key", pki.file("control-plane-key.pem").toString(),
                "--tls-ca", pki.file("ca.pem").toString());
        // nice 10: here the replicas share two cores with the data planes, which in production they do
        // not; a replica's JVM start (seconds of JIT and Flyway) must not starve the data planes the
        // scenarios measure. The data planes keep normal priority.
        List<String> command = new java.util.ArrayList<>(List.of("nice", "-n", "10"));
        command.addAll(JavaCommand.jar(jar, List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args));
        this.process = new ManagedProcess(replicaId, command,
                Map.of("GATEHOUSE_KEK_FILE", pki.kek().toString(),
                        "GATEHOUSE_BOOTSTRAP_TOKEN_FILE", pki.bootstrapToken().toString(),
                        "OTEL_SDK_DISABLED", "true"),
                logDir.resolve(replicaId + ".log"));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port,
                        TlsChannelCredentials.newBuilder().trustManager(pki.file("ca.pem").toFile()).build())
                .build();
    }

    public String replicaId() {
        return replicaId;
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    /** Starts the process (again) and waits until its gRPC port answers health checks. */
    public void startAndAwait(Duration timeout) throws IOException {
        process.start();
        awaitServing(timeout);
    }

    /** Waits until a started replica answers health checks. */
    public void awaitServing(Duration timeout) {
        Await.orFail(replicaId + " to serve gRPC health", timeout, () -> {
            if (!process.alive()) {
                throw new IllegalStateException(replicaId + " exited during start; see " + process.log());
            }
            return !health().startsWith("UNREACHABLE");
        });
    }

    /** SERVING / NOT_SERVING from grpc.health.v1, or "UNREACHABLE: ..." when it does not answer within 1 s. */
    public String health() {
        try {
            HealthCheckResponse response = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            return response.getStatus().name();
        } catch (StatusRuntimeException e) {
            return "UNREACHABLE: " + e.getStatus().getCode();
        }
    }

    @Override
    public void close() {
        process.close();
        channel.shutdownNow();
    }
}
