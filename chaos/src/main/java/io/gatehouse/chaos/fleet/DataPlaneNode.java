package io.gatehouse.chaos.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One data plane as a process ({@code java -jar gatehouse-data-plane.jar}) in a region, with its
 * certificate, the control plane address (the replicas' balancer), Redis (through a fault proxy)
 * and its last-known-good directory; reads its admin endpoints and its resident memory.
 */
public final class DataPlaneNode implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String nodeId;
    private final int port;
    private final int adminPort;
    private final Path stateDir;
    private final ManagedProcess process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    DataPlaneNode(String nodeId, Path jar, FleetPki pki, String controlPlane, String redisUrl, Path stateDir,
                  Path logDir) {
        this.nodeId = nodeId;
        this.port = Ports.free();
        this.adminPort = Ports.free();
        this.stateDir = stateDir;
        List<String> args = List.of("--control-plane", controlPlane, "--bind", "127.0.0.1",
                "--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort),
                "--state-dir", stateDir.toString(), "--redis-url", redisUrl, "--drain-timeout", "1s",
                "--tls-cert", pki.file(nodeId + ".pem").toString(),
                "--tls-key", pki.file(nodeId + "-key.pem").toString(),
                "--tls-ca", pki.file("ca.pem").toString());
        // data-plane/README.md's settings, with a heap sized for a shared 2-core box.
        this.process = new ManagedProcess(nodeId, JavaCommand.jar(jar,
                List.of("-Xms384m", "-Xmx384m", "-XX:+UseParallelGC", "-XX:NewRatio=1"), args),
                Map.of("OTEL_SDK_DISABLED", "true"), logDir.resolve(nodeId + ".log"));
    }

    public String nodeId() {
        return nodeId;
    }

    /** Client traffic port. */
    public int port() {
        return port;
    }

    public Path stateDir() {
        return stateDir;
    }

    public ManagedProcess process() {
        return process;
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Starts the process (again) and waits until its admin port answers. */
    public void startAndAwait(Duration timeout) throws IOException {
        process.start();
        awaitAdmin(timeout);
    }

    /** Waits until a started data plane's admin port answers. */
    public void awaitAdmin(Duration timeout) {
        Await.orFail(nodeId + " admin port", timeout, () -> {
            if (!process.alive()) {
                throw new IllegalStateException(nodeId + " exited during start; see " + process.log());
            }
            return get("/healthz").statusCode() == 200;
        });
    }

    /** GET on the admin port (/config, /metrics, /readyz); throws on a transport failure. */
    public HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** /config as JSON (version, source, controlPlaneConnected, ...). */
    public JsonNode config() {
        try {
            return JSON.readTree(get("/config").body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public long version() {
        return config().path("version").asLong();
    }

    public boolean controlPlaneConnected() {
        return config().path("controlPlaneConnected").asBoolean();
    }

    /** Sum of every sample of a metric whose labels contain all of {@code labels} (e.g. {@code state="open"}). */
    public double metric(String name, String... labels) {
        double sum = 0;
        for (String line : get("/metrics").body().lines().toList()) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Resident set size in bytes from /proc (the kernel's view: heap, metaspace, threads, buffers). */
    public Optional<Long> residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // process gone or not Linux
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        process.close();
    }
}
