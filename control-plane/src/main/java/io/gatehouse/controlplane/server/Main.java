package io.gatehouse.controlplane.server;

import io.gatehouse.controlplane.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Command line entry point: {@code java -jar gatehouse-control-plane.jar [flags]}. Flags override
 * the environment variables of {@link ControlPlaneSettings#fromEnvironment()}. Exit codes: 0 after
 * a clean shutdown (SIGTERM/SIGINT), 1 when startup fails (e.g. database unreachable), 2 for bad
 * usage.
 */
public final class Main {

    static final String EMBEDDED_POSTGRES = "GATEHOUSE_EMBEDDED_POSTGRES";

    private static final Map<String, String> FLAG_TO_ENV = Map.ofEntries(
            Map.entry("--db-url", "GATEHOUSE_DB_URL"),
            Map.entry("--db-user", "GATEHOUSE_DB_USER"),
            Map.entry("--db-password-file", "GATEHOUSE_DB_PASSWORD_FILE"),
            Map.entry("--admin-cert-roles", "GATEHOUSE_ADMIN_CERT_ROLES"),
            Map.entry("--kek-file", "GATEHOUSE_KEK_FILE"),
            Map.entry("--bootstrap-token-file", "GATEHOUSE_BOOTSTRAP_TOKEN_FILE"),
            Map.entry("--status-auth", "GATEHOUSE_STATUS_AUTH"),
            Map.entry("--bind", "GATEHOUSE_CP_BIND"),
            Map.entry("--port", "GATEHOUSE_CP_PORT"),
            Map.entry("--replica-id", "GATEHOUSE_REPLICA_ID"),
            Map.entry("--http-port", "GATEHOUSE_CP_HTTP_PORT"),
            Map.entry("--http-bind", "GATEHOUSE_CP_HTTP_BIND"),
            Map.entry("--tls-cert", "GATEHOUSE_TLS_CERT"),
            Map.entry("--tls-key", "GATEHOUSE_TLS_KEY"),
            Map.entry("--tls-ca", "GATEHOUSE_TLS_CA"),
            Map.entry("--tls-reload-interval", "GATEHOUSE_TLS_RELOAD_INTERVAL"),
            Map.entry("--admin-auth", "GATEHOUSE_ADMIN_AUTH"),
            Map.entry("--dataplane-retention", "GATEHOUSE_DP_RETENTION"),
            Map.entry("--embedded-postgres", EMBEDDED_POSTGRES));

    /** Flags without a value: they set their variable to "true". */
    private static final Map<String, String> SWITCH_TO_ENV = Map.of(
            "--insecure-plaintext", "GATEHOUSE_INSECURE_PLAINTEXT");

    private static final String USAGE = """
            usage: gatehouse-control-plane --tls-cert FILE --tls-key FILE --tls-ca FILE [options]
                   gatehouse-control-plane --insecure-plaintext [options]     (local experiments only)
              --db-url       PostgreSQL JDBC URL   (env GATEHOUSE_DB_URL, default jdbc:postgresql://localhost:5432/gatehouse)
              --db-user      database user         (env GATEHOUSE_DB_USER, default postgres)
              --db-password-file  file holding the database password (env GATEHOUSE_DB_PASSWORD_FILE,
                             or the password itself in GATEHOUSE_DB_PASSWORD; never a flag: ps shows flags)
              --bind         gRPC bind address     (env GATEHOUSE_CP_BIND, default 0.0.0.0)
              --port         gRPC port, 0 = any    (env GATEHOUSE_CP_PORT, default 7070)
              --replica-id   id of this replica    (env GATEHOUSE_REPLICA_ID, default <hostname>-<pid>)
              --http-port    status page, /metrics (env GATEHOUSE_CP_HTTP_PORT, default 7071, 0 = any)
              --http-bind    its bind address      (env GATEHOUSE_CP_HTTP_BIND, default 127.0.0.1)
              --tls-cert     this replica's certificate, PEM  (env GATEHOUSE_TLS_CERT; gatehouse certs issue control-plane)
              --tls-key      its PKCS#8 private key, PEM      (env GATEHOUSE_TLS_KEY)
              --tls-ca       CA that client certificates must chain to (env GATEHOUSE_TLS_CA)
              --tls-reload-interval  how often the three files are checked for changes (env GATEHOUSE_TLS_RELOAD_INTERVAL, default 10s)
              --admin-auth   cert-or-token | client-cert | token | none: how admin callers authenticate
                             (env GATEHOUSE_ADMIN_AUTH, default cert-or-token)
              --admin-cert-roles  role of each admin certificate, e.g. ci=operator,*=admin
                             (env GATEHOUSE_ADMIN_CERT_ROLES, default *=admin)
              --kek-file     key-encryption key of secrets, a Tink keyset (env GATEHOUSE_KEK_FILE, or the keyset
                             in GATEHOUSE_KEK; `gatehouse kek create FILE` makes one)
              --bootstrap-token-file  an admin token to create on a database without tokens
                             (env GATEHOUSE_BOOTSTRAP_TOKEN_FILE or GATEHOUSE_BOOTSTRAP_TOKEN)
              --status-auth  token | none: the HTTP listener asks for an admin token (env GATEHOUSE_STATUS_AUTH, default token)
              --dataplane-retention  default of `gatehouse dataplanes prune` (env GATEHOUSE_DP_RETENTION, default 24h)
              --embedded-postgres DIR  for evaluation: run a PostgreSQL server (binaries shipped in the jar) with its
                             data in DIR, on 127.0.0.1 with a random password (DIR/password), instead of
                             --db-url (env GATEHOUSE_EMBEDDED_POSTGRES); stopped with the control plane
              --insecure-plaintext   serve gRPC without TLS: anyone who reaches the port can register as
                                     any data plane and call the admin API (env GATEHOUSE_INSECURE_PLAINTEXT=true)
            """;

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            // One line per record: "2026-01-02T03:04:05.678 INFO ControlPlane: message".
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        ControlPlaneSettings settings;
        Map<String, String> merged;
        try {
            merged = merge(args, System.getenv());
            settings = merged == null ? null : ControlPlaneSettings.fromEnvironment(merged);
        } catch (IllegalArgumentException e) {
            System.err.println("gatehouse-control-plane: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (settings == null) {
            System.out.print(USAGE);
            return;
        }
        // One shutdown hook, registered before anything starts: a SIGTERM during start-up must still
        // stop the embedded PostgreSQL (a child process the JVM would otherwise leave behind).
        AtomicReference<EmbeddedPostgres> database = new AtomicReference<>();
        AtomicReference<ControlPlane> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ControlPlane controlPlane = running.get();
            if (controlPlane != null) {
                controlPlane.close();
                // java.util.logging may already be reset by its own shutdown hook; say it plainly.
                System.err.println("gatehouse-control-plane: replica " + controlPlane.replicaId() + " stopped");
            }
            EmbeddedPostgres embedded = database.get();
            if (embedded != null) {
                // After the control plane: its pool and LISTEN connection close first.
                embedded.close();
            }
            stopped.countDown();
        }, "gatehouse-shutdown"));
        String embeddedDir = merged.get(EMBEDDED_POSTGRES);
        if (embeddedDir != null) {
            try {
                database.set(EmbeddedPostgres.launch(Path.of(embeddedDir)));
                database.get().awaitReady();
            } catch (IOException | RuntimeException e) {
                System.err.println("gatehouse-control-plane: embedded PostgreSQL in " + embeddedDir + ": " + e.getMessage());
                System.exit(1);
                return;
            }
            settings = settings.withDatabase(database.get().jdbcUrl(), database.get().user(), database.get().password());
        }
        try {
            running.set(ControlPlane.start(settings));
        } catch (ControlPlaneStartException e) {
            System.err.println("gatehouse-control-plane: " + e.getMessage());
            System.exit(1); // the hook stops the embedded PostgreSQL
            return;
        }
        stopped.await();
    }

    /** Settings from {@code env} overridden by {@code args}; null when help was asked for. */
    static ControlPlaneSettings parse(String[] args, Map<String, String> env) {
        Map<String, String> merged = merge(args, env);
        return merged == null ? null : ControlPlaneSettings.fromEnvironment(merged);
    }

    /** {@code env} overridden by {@code args} (flag syntax and the database choice checked); null when help was asked for. */
    static Map<String, String> merge(String[] args, Map<String, String> env) {
        Map<String, String> merged = new HashMap<>(env);
        List<String> list = List.of(args);
        for (int i = 0; i < list.size(); i++) {
            String arg = list.get(i);
            if (arg.equals("-h") || arg.equals("--help")) {
                return null;
            }
            if (SWITCH_TO_ENV.containsKey(arg)) {
                merged.put(SWITCH_TO_ENV.get(arg), "true");
                continue;
            }
            String flag = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < list.size()) {
                value = list.get(++i);
            } else {
                value = null;
            }
            if (flag.equals("--db-password")) {
                throw new IllegalArgumentException("--db-password is not accepted: a password on the command line is"
                        + " visible to every user in ps; use --db-password-file FILE or GATEHOUSE_DB_PASSWORD_FILE");
            }
            String envName = FLAG_TO_ENV.get(flag);
            if (envName == null) {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
            if (value == null) {
                throw new IllegalArgumentException("option " + flag + " needs a value");
            }
            merged.put(envName, value);
        }
        String embedded = merged.get(EMBEDDED_POSTGRES);
        if (embedded != null) {
            if (embedded.isBlank()) {
                throw new IllegalArgumentException("--embedded-postgres needs a directory");
            }
            if (merged.containsKey("GATEHOUSE_DB_URL")) {
                // Which of two databases holds the config must never be a guess.
                throw new IllegalArgumentException("--embedded-postgres and --db-url (GATEHOUSE_DB_URL) both name the"
                        + " database; give one");
            }
        }
        return merged;
    }
}
