package io.gatehouse.controlplane.server;

import io.gatehouse.controlplane.secrets.KekSource;
import io.gatehouse.controlplane.trust.AdminAuth;
import io.gatehouse.controlplane.trust.CertificateRoles;
import io.gatehouse.pki.AdminToken;
import io.gatehouse.pki.OwnerOnlyFiles;
import io.gatehouse.pki.TlsFiles;

import java.net.InetAddress;
import java.nio.file.Path;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything a control plane replica needs to start.
 *
 * <p>{@link #fromEnvironment} (and so {@code Main}) only ever yields plaintext gRPC when
 * {@code GATEHOUSE_INSECURE_PLAINTEXT} / {@code --insecure-plaintext} says so explicitly; without TLS
 * files and without that flag it refuses. The short constructors (embedding, tests) are plaintext
 * until {@link #withTls} is applied, and {@link ControlPlane#start} warns loudly about it.
 *
 * @param jdbcUrl            PostgreSQL JDBC URL, e.g. {@code jdbc:postgresql://localhost:5432/gatehouse}
 * @param dbUser             database user
 * @param dbPassword         database password, may be empty (trust auth)
 * @param bindHost           address the gRPC server binds, e.g. {@code 0.0.0.0}
 * @param grpcPort           gRPC port; 0 = an ephemeral port (see {@link ControlPlane#port()})
 * @param replicaId          unique id of this replica, recorded as the owner of its watch streams
 * @param httpPort           port of the HTTP listener (status page, /api/status, /metrics); 0 = ephemeral
 * @param httpBindHost       address the HTTP listener binds; loopback by default, because it has no
 *                           authentication of its own
 * @param tls                the replica's certificate, key and trusted CA for mutual TLS on the gRPC
 *                           port; empty = plaintext (explicit opt-in)
 * @param adminAuth          who may call the admin API over TLS
 * @param dataPlaneRetention default of {@code gatehouse dataplanes prune}: rows of data planes
 *                           disconnected longer than this are removed
 * @param security           roles of admin certificates, the key-encryption key, the bootstrap token
 *                           and whether the HTTP listener asks for a token
 */
public record ControlPlaneSettings(String jdbcUrl, String dbUser, String dbPassword, String bindHost,
                                   int grpcPort, String replicaId, int httpPort, String httpBindHost,
                                   Optional<TlsFiles> tls, AdminAuth adminAuth, Duration dataPlaneRetention,
                                   Security security) {

    public static final String DEFAULT_DB_URL = "jdbc:postgresql://localhost:5432/gatehouse";
    public static final int DEFAULT_PORT = 7070;
    public static final int DEFAULT_HTTP_PORT = 7071;
    public static final String DEFAULT_HTTP_BIND = "127.0.0.1";
    public static final Duration DEFAULT_DATA_PLANE_RETENTION = Duration.ofHours(24);

    public ControlPlaneSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(dbUser, "dbUser");
        dbPassword = dbPassword == null ? "" : dbPassword;
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(replicaId, "replicaId");
        Objects.requireNonNull(httpBindHost, "httpBindHost");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(adminAuth, "adminAuth");
        Objects.requireNonNull(dataPlaneRetention, "dataPlaneRetention");
        Objects.requireNonNull(security, "security");
        if (grpcPort < 0 || grpcPort > 65535) {
            throw new IllegalArgumentException("grpcPort must be 0..65535, not " + grpcPort);
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be 0..65535, not " + httpPort);
        }
        if (replicaId.isBlank()) {
            throw new IllegalArgumentException("replicaId must not be blank");
        }
        if (dataPlaneRetention.isNegative()) {
            throw new IllegalArgumentException("dataPlaneRetention must not be negative: " + dataPlaneRetention);
        }
    }

    /** Plaintext settings with a loopback HTTP listener (programmatic use; add {@link #withTls}). */
    public ControlPlaneSettings(String jdbcUrl, String dbUser, String dbPassword, String bindHost,
                                int grpcPort, String replicaId, int httpPort) {
        this(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort, DEFAULT_HTTP_BIND,
                Optional.empty(), AdminAuth.CERT_OR_TOKEN, DEFAULT_DATA_PLANE_RETENTION, Security.DEFAULT);
    }

    /** As above with an ephemeral HTTP port (tests). */
    public ControlPlaneSettings(String jdbcUrl, String dbUser, String dbPassword, String bindHost,
                                int grpcPort, String replicaId) {
        this(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, 0);
    }

    /**
     * Reads GATEHOUSE_DB_URL, GATEHOUSE_DB_USER, GATEHOUSE_DB_PASSWORD, GATEHOUSE_CP_BIND,
     * GATEHOUSE_CP_PORT, GATEHOUSE_REPLICA_ID, GATEHOUSE_CP_HTTP_PORT, GATEHOUSE_CP_HTTP_BIND,
     * GATEHOUSE_TLS_CERT, GATEHOUSE_TLS_KEY, GATEHOUSE_TLS_CA, GATEHOUSE_TLS_RELOAD_INTERVAL,
     * GATEHOUSE_INSECURE_PLAINTEXT, GATEHOUSE_ADMIN_AUTH, GATEHOUSE_DP_RETENTION, GATEHOUSE_DB_PASSWORD_FILE,
     * GATEHOUSE_ADMIN_CERT_ROLES, GATEHOUSE_KEK_FILE / GATEHOUSE_KEK, GATEHOUSE_BOOTSTRAP_TOKEN_FILE /
     * GATEHOUSE_BOOTSTRAP_TOKEN and GATEHOUSE_STATUS_AUTH.
     *
     * @throws IllegalArgumentException on a malformed value, or when neither TLS files nor the
     *                                  explicit plaintext flag are given (or both are)
     */
    public static ControlPlaneSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** As {@link #fromEnvironment()}, from the given variables. */
    public static ControlPlaneSettings fromEnvironment(Map<String, String> env) {
        return new ControlPlaneSettings(
                env.getOrDefault("GATEHOUSE_DB_URL", DEFAULT_DB_URL),
                env.getOrDefault("GATEHOUSE_DB_USER", "postgres"),
                dbPassword(env),
                env.getOrDefault("GATEHOUSE_CP_BIND", "0.0.0.0"),
                parsePort(env.getOrDefault("GATEHOUSE_CP_PORT", Integer.toString(DEFAULT_PORT)), "GATEHOUSE_CP_PORT"),
                env.getOrDefault("GATEHOUSE_REPLICA_ID", defaultReplicaId()),
                parsePort(env.getOrDefault("GATEHOUSE_CP_HTTP_PORT", Integer.toString(DEFAULT_HTTP_PORT)),
                        "GATEHOUSE_CP_HTTP_PORT"),
                env.getOrDefault("GATEHOUSE_CP_HTTP_BIND", DEFAULT_HTTP_BIND),
                TlsFiles.fromEnvironment(env, "gatehouse certs issue control-plane"),
                AdminAuth.parse(env.getOrDefault("GATEHOUSE_ADMIN_AUTH", AdminAuth.CERT_OR_TOKEN.flag())),
                parseDuration(env.getOrDefault("GATEHOUSE_DP_RETENTION", "24h"), "GATEHOUSE_DP_RETENTION"),
                Security.fromEnvironment(env));
    }

    /**
     * The settings of issue 12 beyond mutual TLS.
     *
     * @param certificateRoles role of each admin certificate (GATEHOUSE_ADMIN_CERT_ROLES)
     * @param kek              the key-encryption key of secrets (GATEHOUSE_KEK_FILE / GATEHOUSE_KEK)
     * @param bootstrapToken   made an admin token on a database without any (GATEHOUSE_BOOTSTRAP_TOKEN[_FILE])
     * @param statusOpen       the HTTP listener serves without a token (GATEHOUSE_STATUS_AUTH=none)
     */
    public record Security(CertificateRoles certificateRoles, KekSource kek, Optional<AdminToken> bootstrapToken,
                           boolean statusOpen) {
        public static final Security DEFAULT = new Security(CertificateRoles.DEFAULT, KekSource.none(),
                Optional.empty(), false);

        public Security {
            Objects.requireNonNull(certificateRoles, "certificateRoles");
            Objects.requireNonNull(kek, "kek");
            Objects.requireNonNull(bootstrapToken, "bootstrapToken");
        }

        public Security withKek(KekSource source) {
            return new Security(certificateRoles, source, bootstrapToken, statusOpen);
        }

        public Security withBootstrapToken(AdminToken token) {
            return new Security(certificateRoles, kek, Optional.of(token), statusOpen);
        }

        public Security withStatusOpen(boolean open) {
            return new Security(certificateRoles, kek, bootstrapToken, open);
        }

        public Security withCertificateRoles(CertificateRoles roles) {
            return new Security(roles, kek, bootstrapToken, statusOpen);
        }

        static Security fromEnvironment(Map<String, String> env) {
            KekSource kek = Optional.ofNullable(env.get("GATEHOUSE_KEK_FILE")).filter(f -> !f.isBlank())
                    .map(f -> KekSource.file(Path.of(f)))
                    .or(() -> Optional.ofNullable(env.get("GATEHOUSE_KEK")).filter(v -> !v.isBlank()).map(KekSource::inline))
                    .orElse(KekSource.none());
            Optional<String> bootstrap;
            try {
                bootstrap = OwnerOnlyFiles.secretFromEnvironment(env, "GATEHOUSE_BOOTSTRAP_TOKEN");
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            Optional<AdminToken> token = bootstrap.map(text -> AdminToken.parse(text).orElseThrow(() ->
                    new IllegalArgumentException("GATEHOUSE_BOOTSTRAP_TOKEN(_FILE) does not hold a Gatehouse admin"
                            + " token (ght_<16 hex>_<43 base64url>); make one with `gatehouse tokens generate`")));
            String statusAuth = env.getOrDefault("GATEHOUSE_STATUS_AUTH", "token").strip().toLowerCase(Locale.ROOT);
            if (!statusAuth.equals("token") && !statusAuth.equals("none")) {
                throw new IllegalArgumentException("GATEHOUSE_STATUS_AUTH must be token or none, not '" + statusAuth + "'");
            }
            return new Security(CertificateRoles.parse(env.getOrDefault("GATEHOUSE_ADMIN_CERT_ROLES", "*=admin")),
                    kek, token, statusAuth.equals("none"));
        }

        @Override
        public String toString() {
            return "Security[certificateRoles=" + certificateRoles + ", kek=" + kek.describe() + ", bootstrapToken="
                    + bootstrapToken.map(AdminToken::id).orElse("none") + ", statusOpen=" + statusOpen + "]";
        }
    }

    /** GATEHOUSE_DB_PASSWORD_FILE, else GATEHOUSE_DB_PASSWORD, else empty (never a flag: ps shows flags). */
    private static String dbPassword(Map<String, String> env) {
        try {
            return OwnerOnlyFiles.secretFromEnvironment(env, "GATEHOUSE_DB_PASSWORD").orElse("");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public ControlPlaneSettings withSecurity(Security s) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort,
                httpBindHost, tls, adminAuth, dataPlaneRetention, s);
    }

    /** The same settings against another database (e.g. the embedded PostgreSQL, whose port is known only once it runs). */
    public ControlPlaneSettings withDatabase(String url, String user, String password) {
        return new ControlPlaneSettings(url, user, password, bindHost, grpcPort, replicaId, httpPort, httpBindHost,
                tls, adminAuth, dataPlaneRetention, security);
    }

    public ControlPlaneSettings withGrpcPort(int port) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, port, replicaId, httpPort, httpBindHost,
                tls, adminAuth, dataPlaneRetention, security);
    }

    public ControlPlaneSettings withReplicaId(String id) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, id, httpPort, httpBindHost,
                tls, adminAuth, dataPlaneRetention, security);
    }

    public ControlPlaneSettings withHttpPort(int port) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, port, httpBindHost,
                tls, adminAuth, dataPlaneRetention, security);
    }

    /** Mutual TLS with {@code files} on the gRPC port. */
    public ControlPlaneSettings withTls(TlsFiles files) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort,
                httpBindHost, Optional.of(files), adminAuth, dataPlaneRetention, security);
    }

    /** Plaintext gRPC (local experiments and the tests of that mode). */
    public ControlPlaneSettings withInsecurePlaintext() {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort,
                httpBindHost, Optional.empty(), adminAuth, dataPlaneRetention, security);
    }

    public ControlPlaneSettings withAdminAuth(AdminAuth auth) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort,
                httpBindHost, tls, auth, dataPlaneRetention, security);
    }

    public ControlPlaneSettings withDataPlaneRetention(Duration retention) {
        return new ControlPlaneSettings(jdbcUrl, dbUser, dbPassword, bindHost, grpcPort, replicaId, httpPort,
                httpBindHost, tls, adminAuth, retention, security);
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

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** {@code 500ms}, {@code 10s}, {@code 5m}, {@code 24h}, {@code 7d}. */
    static Duration parseDuration(String value, String name) {
        Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(name + " must be a duration like 500ms, 10s, 5m, 24h or 7d, not '"
                    + value + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** The password is not printed. */
    @Override
    public String toString() {
        return "ControlPlaneSettings[jdbcUrl=" + io.gatehouse.controlplane.store.Database.redact(jdbcUrl) + ", dbUser=" + dbUser + ", bindHost=" + bindHost
                + ", grpcPort=" + grpcPort + ", replicaId=" + replicaId + ", httpPort=" + httpPort
                + ", httpBindHost=" + httpBindHost + ", tls=" + tls.map(Object::toString).orElse("INSECURE PLAINTEXT")
                + ", adminAuth=" + adminAuth.flag() + ", dataPlaneRetention=" + dataPlaneRetention
                + ", security=" + security + "]";
    }
}
