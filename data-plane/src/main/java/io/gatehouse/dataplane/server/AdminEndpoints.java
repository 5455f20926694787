package io.gatehouse.dataplane.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.observability.metrics.Metrics;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Routing of the admin listener: {@code GET /healthz} (process up), {@code GET /readyz} (200 once a
 * snapshot is in force, else 503) and {@code GET /config} (the version in force and where it came
 * from; 503 with version 0 when none), and {@code GET /metrics} (Prometheus text format). All bodies are JSON. Thread-safe.
 */
final class AdminEndpoints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<CompiledSnapshot> snapshots;
    private final BooleanSupplier controlPlaneConnected;
    private final Supplier<java.util.Optional<String>> controlPlaneError;
    private final DataPlaneSettings settings;
    private final Metrics metrics;
    private volatile BooleanSupplier draining = () -> false;

    AdminEndpoints(Supplier<CompiledSnapshot> snapshots, BooleanSupplier controlPlaneConnected,
                   Supplier<java.util.Optional<String>> controlPlaneError, DataPlaneSettings settings, Metrics metrics) {
        this.controlPlaneError = controlPlaneError;
        this.metrics = metrics;
        this.snapshots = snapshots;
        this.controlPlaneConnected = controlPlaneConnected;
        this.settings = settings;
    }

    /** /readyz answers 503 DRAINING while {@code draining} says so (graceful shutdown). */
    void drainingWhen(BooleanSupplier draining) {
        this.draining = draining;
    }

    void register(HttpRouting.Builder routing) {
        routing.get("/metrics", (req, res) -> {
                    // Prometheus text exposition format 0.0.4
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
                })
                .get("/healthz", (req, res) -> send(res, 200, JSON.createObjectNode().put("status", "UP")))
                .get("/readyz", (req, res) -> {
                    CompiledSnapshot snapshot = snapshots.get();
                    boolean drainingNow = draining.getAsBoolean();
                    ObjectNode body = JSON.createObjectNode()
                            .put("status", drainingNow ? "DRAINING" : snapshot == null ? "NOT_READY" : "READY")
                            .put("version", snapshot == null ? 0 : snapshot.version());
                    send(res, snapshot == null || drainingNow ? 503 : 200, body);
                })
                .get("/config", (req, res) -> {
                    CompiledSnapshot snapshot = snapshots.get();
                    ObjectNode body = JSON.createObjectNode();
                    body.put("version", snapshot == null ? 0 : snapshot.version());
                    if (snapshot != null) {
                        body.put("sha256", snapshot.sha256())
                                .put("source", snapshot.source().label())
                                .put("routes", snapshot.routes().size());
                        // Which secrets the snapshot carries, never their values.
                        ObjectNode secrets = body.putObject("secrets");
                        new java.util.TreeSet<>(snapshot.snapshot().getSecretsMap().keySet())
                                .forEach(name -> secrets.put(name, "<secret:" + name + ">"));
                    }
                    boolean connected = controlPlaneConnected.getAsBoolean();
                    body.put("nodeId", settings.nodeId())
                            .put("region", settings.region())
                            .put("controlPlaneConnected", connected);
                    ObjectNode labels = body.putObject("labels"); // what rollout waves can select this node by
                    settings.labels().forEach(labels::put);
                    if (!connected) {
                        // Why the config in force may be stale: e.g. the control plane's certificate was refused.
                        controlPlaneError.get().ifPresent(error -> body.put("controlPlaneError", error));
                    }
                    if (snapshot != null) {
                        body.put("appliedAt", snapshot.appliedAt().toString());
                    }
                    send(res, snapshot == null ? 503 : 200, body);
                });
    }

    private static void send(ServerResponse res, int status, ObjectNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
