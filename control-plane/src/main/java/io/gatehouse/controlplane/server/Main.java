package io.gatehouse.controlplane.server;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Command line entry point: {@code java -jar gatehouse-control-plane.jar [flags]}. Flags override
 * the environment variables of {@link ControlPlaneSettings#fromEnvironment()}. Exit codes: 0 after
 * a clean shutdown (SIGTERM/SIGINT), 1 when startup fails (e.g. database unreachable), 2 for bad
 * usage.
 */
public final class Main {

    private static final Map<String, String> FLAG_TO_ENV = Map.of(
            "--db-url", "GATEHOUSE_DB_URL",
            "--db-user", "GATEHOUSE_DB_USER",
            "--db-password", "GATEHOUSE_DB_PASSWORD",
            "--bind", "GATEHOUSE_CP_BIND",
            "--port", "GATEHOUSE_CP_PORT",
            "--replica-id", "GATEHOUSE_REPLICA_ID",
            "--http-port", "GATEHOUSE_CP_HTTP_PORT");

    private static final String USAGE = """
            usage: gatehouse-control-plane [--db-url URL] [--db-user USER] [--db-password PASSWORD]
                                           [--bind HOST] [--port PORT] [--replica-id ID] [--http-port PORT]
              --db-url       PostgreSQL JDBC URL   (env GATEHOUSE_DB_URL, default jdbc:postgresql://localhost:5432/gatehouse)
              --db-user      database user         (env GATEHOUSE_DB_USER, default postgres)
              --db-password  database password     (env GATEHOUSE_DB_PASSWORD, default empty)
              --bind         gRPC bind address     (env GATEHOUSE_CP_BIND, default 0.0.0.0)
              --port         gRPC port, 0 = any    (env GATEHOUSE_CP_PORT, default 7070)
              --replica-id   id of this replica    (env GATEHOUSE_REPLICA_ID, default <hostname>-<pid>)
              --http-port    status page, /metrics (env GATEHOUSE_CP_HTTP_PORT, default 7071, 0 = any)
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
        try {
            settings = parse(args, System.getenv());
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
        ControlPlane controlPlane;
        try {
            controlPlane = ControlPlane.start(settings);
        } catch (ControlPlaneStartException e) {
            System.err.println("gatehouse-control-plane: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controlPlane.close();
            // java.util.logging may already be reset by its own shutdown hook; say it plainly.
            System.err.println("gatehouse-control-plane: replica " + controlPlane.replicaId() + " stopped");
            stopped.countDown();
        }, "gatehouse-shutdown"));
        stopped.await();
    }

    /** Settings from {@code env} overridden by {@code args}; null when help was asked for. */
    static ControlPlaneSettings parse(String[] args, Map<String, String> env) {
        Map<String, String> merged = new HashMap<>(env);
        List<String> list = List.of(args);
        for (int i = 0; i < list.size(); i++) {
            String arg = list.get(i);
            if (arg.equals("-h") || arg.equals("--help")) {
                return null;
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
            String envName = FLAG_TO_ENV.get(flag);
            if (envName == null) {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
            if (value == null) {
                throw new IllegalArgumentException("option " + flag + " needs a value");
            }
            merged.put(envName, value);
        }
        return ControlPlaneSettings.fromEnvironment(merged);
    }
}
