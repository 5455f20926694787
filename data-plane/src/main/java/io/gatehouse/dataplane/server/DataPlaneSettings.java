package io.gatehouse.dataplane.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one data plane instance.
 *
 * @param nodeId             stable, unique id reported to the control plane
 * @param region             region served ("" when none)
 * @param controlPlaneTarget control plane gRPC address "host:port"
 * @param bindHost           address both listeners bind to
 * @param port               client traffic port (0 = ephemeral)
 * @param adminPort          admin port for /healthz, /readyz, /config (0 = ephemeral)
 * @param stateDir           directory for the last-known-good snapshot
 * @param maxRoutes          most routes accepted in a snapshot; larger ones are NACKed
 * @param redisUrl           Redis for rate limits, the response cache and shared breaker state
 *                           ("redis://host:port[/db]"); used lazily, the data plane runs without it
 * @param drainTimeout       on SIGTERM, how long in-flight requests may take to finish before exit
 */
public record DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                                int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl,
                                java.time.Duration drainTimeout) {

    public static final java.time.Duration DEFAULT_DRAIN_TIMEOUT = java.time.Duration.ofSeconds(20);

    public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_ADMIN_PORT = 9901;
    public static final int DEFAULT_MAX_ROUTES = 100_000;

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
    }

    /** Settings with the default drain timeout ({@link #DEFAULT_DRAIN_TIMEOUT}). */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes, String redisUrl) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, redisUrl,
                DEFAULT_DRAIN_TIMEOUT);
    }

    /** Settings with the default Redis URL ({@value #DEFAULT_REDIS_URL}). */
    public DataPlaneSettings(String nodeId, String region, String controlPlaneTarget, String bindHost,
                             int port, int adminPort, Path stateDir, int maxRoutes) {
        this(nodeId, region, controlPlaneTarget, bindHost, port, adminPort, stateDir, maxRoutes, DEFAULT_REDIS_URL);
    }

    /** Reads the GATEHOUSE_* environment variables, with the documented defaults. */
    public static DataPlaneSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Same as {@link #fromEnvironment()} with an explicit environment (for tests and Main). */
    public static DataPlaneSettings fromEnvironment(Map<String, String> env) {
        String nodeId = env.getOrDefault("GATEHOUSE_NODE_ID", hostname());
        String state = env.get("GATEHOUSE_STATE_DIR");
        return new DataPlaneSettings(
                nodeId,
                env.getOrDefault("GATEHOUSE_REGION", ""),
                env.getOrDefault("GATEHOUSE_CP_ADDRESS", "localhost:7070"),
                env.getOrDefault("GATEHOUSE_BIND", "0.0.0.0"),
                intValue(env, "GATEHOUSE_PORT", DEFAULT_PORT),
                intValue(env, "GATEHOUSE_ADMIN_PORT", DEFAULT_ADMIN_PORT),
                state == null ? defaultStateDir(nodeId) : Path.of(state),
                intValue(env, "GATEHOUSE_MAX_ROUTES", DEFAULT_MAX_ROUTES),
                env.getOrDefault("GATEHOUSE_REDIS_URL", DEFAULT_REDIS_URL),
                durationValue(env, "GATEHOUSE_DRAIN_TIMEOUT", DEFAULT_DRAIN_TIMEOUT));
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
