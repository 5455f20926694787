package io.gatehouse.dataplane.server;

import io.gatehouse.pki.PemFiles;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one data plane instance.
 *
 * <p>{@link #fromEnvironment} (and so {@code Main}) only yields a plaintext connection to the
 * control plane when GATEHOUSE_INSECURE_PLAINTEXT / {@code --insecure-plaintext} says so; the short
 * constructors (embedding, tests) are plaintext until {@link #withControlPlaneTls} is applied.
 *
 * @param nodeId             stable, unique id reported to the control plane; with TLS it must be the
 *                           one the certificate names (if it names one)
 * @param region             region served ("" when none); with TLS the certificate's
 * @param controlPlaneTarget control plane gRPC address "host:port"
 * @param bindHost           address the client (traffic) listener binds to
 * @param port               client traffic port (0 = ephemeral)
 * @param adminPort          admin port for /healthz, /readyz, /config (0 = ephemeral)
 * @param stateDir           directory for the last-known-good snapshot
 * @param maxRoutes          most routes accepted in a snapshot; larger ones are NACKed
 * @param redisUrl           Redis for rate limits, the response cache and shared breaker state
 *                           ("redis://host:port[/db]"); used lazily, the data plane runs without it
 * @param drainTimeout       on SIGTERM, how long in-flight requests may take to finish before exit
 * @param adminBindHost      address the admin listener binds to; loopback by default (it has no
 *                           authentication: /config and /metrics describe the deployment)
 * @param controlPlaneTls    this data plane's certificate and key, and the CA the control plane's
 *                           certificate must chain to; empty = plaintext (explicit opt-in)
 * @param httpsPort          the HTTPS listener's port on {@code bindHost} (0 = ephemeral); empty = no
 *                           HTTPS listener. Its certificates come with the snapshot (config {@code certificates})
 * @param replayBufferBytes  most bytes of request bodies held in memory for retries across all
 *                           in-flight requests (over it bodies stream and are not retried)
 * @param labels             operator-given labels sent to the control plane ({@code Node.labels}),
 *                           sorted; rollout waves may select on them (see {@link NodeLabels} for the rules)
 * @param loadReportInterval time between load reports on the watch stream (default
 *                           {@link #DEFAULT_LOAD_REPORT_INTERVAL}, or system property
 *                           {@code gatehouse.loadReport.interval})
 */
public record DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                                int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl,
                                java.time.Duration drainTimeout, String adminBindHost,
                                Optional<TlsFiles> controlPlaneTls, java.util.OptionalInt httpsPort,
                                long replayBufferBytes, Map<String, String> labels,
                                java.time.Duration loadReportInterval) {

    /** Five seconds: gates compare figures over minutes of bake time, so a few seconds of lag is harmless. */
    public static final java.time.Duration DEFAULT_LOAD_REPORT_INTERVAL = java.time.Duration.ofSeconds(5);

    public static final String DEFAULT_ADMIN_BIND = "127.0.0.1";

    public static final java.time.Duration DEFAULT_DRAIN_TIMEOUT = java.time.Duration.ofSeconds(20);

    public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_ADMIN_PORT = 9901;
    public static final int DEFAULT_MAX_ROUTES = 100_000;
    public static final long DEFAULT_REPLAY_BUFFER_BYTES = 64L * 1024 * 1024;

    public DataPlaneSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(controlPlaneTarget, "controlPlaneTarget");
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(stateDir, "stateDir");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("nodeId must not be blank");
        }
        checkPort("port", port);
        checkPort("adminPort", adminPort);
        if (maxRoutes < 1) {
            throw new IllegalArgumentException("maxRoutes must be >= 1: " + maxRoutes);
        }
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be >= 0: " + drainTimeout);
        }
        Objects.requireNonNull(adminBindHost, "adminBindHost");
        Objects.requireNonNull(controlPlaneTls, "controlPlaneTls");
        if (replayBufferBytes < 0) {
            throw new IllegalArgumentException("replayBufferBytes must be >= 0: " + replayBufferBytes);
        }
        Objects.requireNonNull(httpsPort, "httpsPort");
        if (httpsPort.isPresent()) {
            checkPort("httpsPort", httpsPort.getAsInt());
        }
        labels = NodeLabels.check(Objects.requireNonNull(labels, "labels"));
        Objects.requireNonNull(loadReportInterval, "loadReportInterval");
        if (loadReportInterval.isNegative() || loadReportInterval.isZero()) {
            throw new IllegalArgumentException("loadReportInterval must be > 0: " + loadReportInterval);
        }
    }

    /** Without labels, reporting load every {@link #defaultLoadReportInterval()}. */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl,
                             java.time.Duration drainTimeout, String adminBindHost, Optional<TlsFiles> controlPlaneTls,
                             java.util.OptionalInt httpsPort, long replayBufferBytes) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, redisUrl,
                drainTimeout, adminBindHost, controlPlaneTls, httpsPort, replayBufferBytes, Map.of(),
                defaultLoadReportInterval());
    }

    /** With {@code labels} instead of these (validated; see {@link NodeLabels}). */
    public DataPlaneSettings withLabels(Map<String, String> labels) {
        return new DataPlaneSettings(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes,
                redisUrl, drainTimeout, adminBindHost, controlPlaneTls, httpsPort, replayBufferBytes, labels,
                loadReportInterval);
    }

    /** Reporting load every {@code interval} (tests use a few hundred milliseconds). */
    public DataPlaneSettings withLoadReportInterval(java.time.Duration interval) {
        return new DataPlaneSettings(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes,
                redisUrl, drainTimeout, adminBindHost, controlPlaneTls, httpsPort, replayBufferBytes, labels, interval);
    }

    /** System property {@code gatehouse.loadReport.interval} ("500ms", "5s", plain seconds), else 5 s. */
    public static java.time.Duration defaultLoadReportInterval() {
        return durationValue(Map.of("gatehouse.loadReport.interval",
                        System.getProperty("gatehouse.loadReport.interval", "")),
                "gatehouse.loadReport.interval", DEFAULT_LOAD_REPORT_INTERVAL);
    }

    /** Without an HTTPS listener. */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl,
                             java.time.Duration drainTimeout, String adminBindHost, Optional<TlsFiles> controlPlaneTls) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, redisUrl,
                drainTimeout, adminBindHost, controlPlaneTls, java.util.OptionalInt.empty(), DEFAULT_REPLAY_BUFFER_BYTES);
    }

    /** With an HTTPS listener on {@code port} (0 = ephemeral). */
    public DataPlaneSettings withHttpsPort(int port) {
        return new DataPlaneSettings(nodeId, region, controlPlaneTarget, bindHost, this.port, adminPort, stateDir,
                maxRoutes, redisUrl, drainTimeout, adminBindHost, controlPlaneTls, java.util.OptionalInt.of(port),
                replayBufferBytes, labels, loadReportInterval);
    }

    /** Plaintext settings with an admin listener on loopback (programmatic use; add {@link #withControlPlaneTls}). */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl,
                             java.time.Duration drainTimeout) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, redisUrl,
                drainTimeout, DEFAULT_ADMIN_BIND, Optional.empty());
    }

    /** Settings with the default drain timeout ({@link #DEFAULT_DRAIN_TIMEOUT}). */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, redisUrl,
                DEFAULT_DRAIN_TIMEOUT);
    }

    /** Mutual TLS to the control plane with {@code files}. */
    public DataPlaneSettings withControlPlaneTls(TlsFiles files) {
        return new DataPlaneSettings(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes,
                redisUrl, drainTimeout, adminBindHost, Optional.of(files), httpsPort, replayBufferBytes, labels,
                loadReportInterval);
    }

    public DataPlaneSettings withAdminBindHost(String host) {
        return new DataPlaneSettings(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes,
                redisUrl, drainTimeout, host, controlPlaneTls, httpsPort, replayBufferBytes, labels, loadReportInterval);
    }

    /** Settings with the default Redis URL ({@value #DEFAULT_REDIS_URL}). */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, DEFAULT_REDIS_URL);
    }

    /**
     * Reads the GATEHOUSE_* environment variables, with the documented defaults. With TLS files the
     * node id and region default to the ones the certificate names (read once here), and must
     * agree with it when given.
     *
     * @throws IllegalArgumentException on a malformed value, without TLS files and without
     *                                  GATEHOUSE_INSECURE_PLAINTEXT, or when the node id or region
     *                                  disagrees with the certificate
     */
    public static DataPlaneSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Same as {@link #fromEnvironment()} with an explicit environment (for tests and Main). */
    public static DataPlaneSettings fromEnvironment(Map<String, String> env) {
        Optional<TlsFiles> tls = TlsFiles.fromEnvironment(env,
                "gatehouse certs issue data-plane --node ID --region REGION");
        Optional<SpiffeId> identity = tls.map(files -> identity(files.certificate()));
        String nodeId = nonBlank(env.get("GATEHOUSE_NODE_ID"))
                .or(() -> identity.flatMap(SpiffeId::nodeId)).orElseGet(DataPlaneSettings::hostname);
        String region = nonBlank(env.get("GATEHOUSE_REGION"))
                .or(() -> identity.map(SpiffeId::region)).orElse("");
        identity.ifPresent(id -> checkAgrees(id, nodeId, region));
        String state = env.get("GATEHOUSE_STATE_DIR");
        return new DataPlaneSettings(
                nodeId,
                region,
                env.getOrDefault("GATEHOUSE_CP_ADDRESS", "localhost:7070"),
                env.getOrDefault("GATEHOUSE_BIND", "0.0.0.0"),
                intValue(env, "GATEHOUSE_PORT", DEFAULT_PORT),
                intValue(env, "GATEHOUSE_ADMIN_PORT", DEFAULT_ADMIN_PORT),
                state == null ? defaultStateDir(nodeId) : Path.of(state),
                intValue(env, "GATEHOUSE_MAX_ROUTES", DEFAULT_MAX_ROUTES),
                env.getOrDefault("GATEHOUSE_REDIS_URL", DEFAULT_REDIS_URL),
                durationValue(env, "GATEHOUSE_DRAIN_TIMEOUT", DEFAULT_DRAIN_TIMEOUT),
                env.getOrDefault("GATEHOUSE_ADMIN_BIND", DEFAULT_ADMIN_BIND),
                tls,
                nonBlank(env.get("GATEHOUSE_HTTPS_PORT")).isEmpty() ? java.util.OptionalInt.empty()
                        : java.util.OptionalInt.of(intValue(env, "GATEHOUSE_HTTPS_PORT", 0)),
                longValue(env, "GATEHOUSE_REPLAY_BUFFER_BYTES", DEFAULT_REPLAY_BUFFER_BYTES),
                labels(env.get("GATEHOUSE_LABELS")),
                durationValue(env, "GATEHOUSE_LOAD_REPORT_INTERVAL", defaultLoadReportInterval()));
    }

    private static Map<String, String> labels(String text) {
        try {
            return NodeLabels.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--label / GATEHOUSE_LABELS: " + e.getMessage(), e);
        }
    }

    /** The data plane identity in {@code certificate}. */
    static SpiffeId identity(Path certificate) {
        try {
            SpiffeId id = SpiffeId.of(PemFiles.certificates(certificate)[0]).orElseThrow(() ->
                    new IllegalArgumentException(certificate + " names no Gatehouse identity (issue it with"
                            + " `gatehouse certs issue data-plane`)"));
            if (id.kind() != SpiffeId.Kind.DATA_PLANE) {
                throw new IllegalArgumentException(certificate + " is not a data plane certificate: " + id);
            }
            return id;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS certificate: " + e.getMessage(), e);
        }
    }

    /** Refuses a node id or region the certificate does not allow (the control plane would refuse it too). */
    static void checkAgrees(SpiffeId identity, String nodeId, String region) {
        if (!identity.region().equals(region)) {
            throw new IllegalArgumentException("--region '" + region + "' disagrees with the certificate, which is for "
                    + identity + "; leave --region out to take it from the certificate");
        }
        if (!identity.admits(nodeId, region)) {
            throw new IllegalArgumentException("--node-id '" + nodeId + "' disagrees with the certificate, which is for "
                    + identity + "; leave --node-id out to take it from the certificate");
        }
    }

    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).map(String::strip).filter(v -> !v.isEmpty());
    }

    /** {@code ./.gatehouse/<nodeId>}. */
    public static Path defaultStateDir(String nodeId) {
        return Path.of(".gatehouse", nodeId);
    }

    private static int intValue(Map<String, String> env, String name, int defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number: '" + value + "'");
        }
    }

    private static long longValue(Map<String, String> env, String name, long defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number: '" + value + "'");
        }
    }

    /** "20s", "500ms", "2m" or plain seconds ("20"). */
    private static java.time.Duration durationValue(Map<String, String> env, String name,
                                                    java.time.Duration defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return java.time.Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return java.time.Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return java.time.Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return java.time.Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a duration like 20s or 500ms: '" + value + "'");
        }
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(name + " must be 0..65535: " + port);
        }
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "gatehouse-dp";
        }
    }
}
