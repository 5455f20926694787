package io.gatehouse.controlplane.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a control plane replica needs to start.
 *
 * @param jdbcUrl    PostgreSQL JDBC URL, e.g. {@code jdbc:postgresql://localhost:5432/gatehouse}
 * @param dbUser     database user
 * @param dbPassword database password, may be empty (trust auth)
 * @param bindHost   address the gRPC server binds, e.g. {@code 0.0.0.0}
 * @param grpcPort   gRPC port; 0 = an ephemeral port (see {@link ControlPlane#port()})
 * @param replicaId  unique id of this replica, recorded as the owner of its watch streams
 * @param httpPort   port of the HTTP listener (status page, /api/status, /metrics); 0 = ephemeral
 */
public record ControlPlaneSettings(String jdbcUrl, String dbUser, String dbPassword, String bindHost,
                                   int grpcPort, String replicaId, int httpPort) {

    public static final int DEFAULT_HTTP_PORT = 7071;

    /** Settings with an ephemeral HTTP port (programmatic use, tests). */
    public ControlPlaneSettings(String jdbcUrl, String dbUser, String dbPassword, String bindHost,
                                int grpcPort, String replicaId) {
        this(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, 0);
    }

    public static final String DEFAULT_DB_URL = "jdbc:postgresql://localhost:5432/gatehouse";
    public static final int DEFAULT_PORT = 7070;

    public ControlPlaneSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(dbUser, "dbUser");
        dbPassword = dbPassword == null ? "" : dbPassword;
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(replicaId, "replicaId");
        if (grpcPort < 0 || grpcPort > 65535) {
            throw new IllegalArgumentException("grpcPort must be 0..65535, not " + grpcPort);
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be 0..65535, not " + httpPort);
        }
        if (replicaId.isBlank()) {
            throw new IllegalArgumentException("replicaId must not be blank");
        }
    }

    /**
     * Reads GATEHOUSE_DB_URL, GATEHOUSE_DB_USER, GATEHOUSE_DB_PASSWORD, GATEHOUSE_CP_BIND,
     * GATEHOUSE_CP_PORT and GATEHOUSE_REPLICA_ID, with localhost defaults.
     */
    public static ControlPlaneSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** As {@link #fromEnvironment()}, from the given variables. */
    public static ControlPlaneSettings fromEnvironment(Map<String, String> env) {
        return new ControlPlaneSettings(
                env.getOrDefault("GATEHOUSE_DB_URL", DEFAULT_DB_URL),
                env.getOrDefault("GATEHOUSE_DB_USER", "postgres"),
                env.getOrDefault("GATEHOUSE_DB_PASSWORD", ""),
                env.getOrDefault("GATEHOUSE_CP_BIND", "0.0.0.0"),
                parsePort(env.getOrDefault("GATEHOUSE_CP_PORT", Integer.toString(DEFAULT_PORT)), "GATEHOUSE_CP_PORT"),
                env.getOrDefault("GATEHOUSE_REPLICA_ID", defaultReplicaId()),
                parsePort(env.getOrDefault("GATEHOUSE_CP_HTTP_PORT", Integer.toString(DEFAULT_HTTP_PORT)),
                        "GATEHOUSE_CP_HTTP_PORT"));
    }

    public ControlPlaneSettings withGrpcPort(int port) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, port, replicaId, httpPort);
    }

    public ControlPlaneSettings withReplicaId(String id) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, id, httpPort);
    }

    public ControlPlaneSettings withHttpPort(int port) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, port);
    }

    /** Hostname plus process id: unique per running replica, stable for its lifetime. */
    public static String defaultReplicaId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    static int parsePort(String value, String name) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(name + " must be 0..65535, not " + value);
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a port number, not '" + value + "'", e);
        }
    }

    /** The password is not printed. */
    @Override
    public String toString() {
        return "ControlPlaneSettings[jdbcUrl=" + jdbcUrl + ", dbUser=" + dbUser + ", bindHost=" + bindHost
                + ", grpcPort=" + grpcPort + ", replicaId=" + replicaId + ", httpPort=" + httpPort + "]";
    }
}
