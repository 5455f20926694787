package io.gatehouse.dataplane.server;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Command line entry point: {@code java -jar gatehouse-data-plane.jar [--flag value ...]}.
 * Flags override the GATEHOUSE_* environment variables (see {@link DataPlaneSettings#fromEnvironment()}).
 * SIGTERM/SIGINT close the data plane cleanly.
 */
public final class Main {

    /** Flag name to environment variable. */
    static final Map<String, String> FLAGS = Map.of(
            "--node-id", "GATEHOUSE_NODE_ID",
            "--region", "GATEHOUSE_REGION",
            "--control-plane", "GATEHOUSE_CP_ADDRESS",
            "--bind", "GATEHOUSE_BIND",
            "--port", "GATEHOUSE_PORT",
            "--admin-port", "GATEHOUSE_ADMIN_PORT",
            "--state-dir", "GATEHOUSE_STATE_DIR",
            "--max-routes", "GATEHOUSE_MAX_ROUTES",
            "--redis-url", "GATEHOUSE_REDIS_URL",
            "--drain-timeout", "GATEHOUSE_DRAIN_TIMEOUT");

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        DataPlaneSettings settings;
        try {
            if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
                usage(System.out);
                return;
            }
            settings = parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("gatehouse-data-plane: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        DataPlane dataPlane = DataPlane.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dataPlane.drain(); // readyz 503, stop accepting, let in-flight requests finish (bounded)
            dataPlane.close();
            stopped.countDown();
        }, "gatehouse-shutdown"));
        stopped.await();
    }

    /** Settings from {@code env} overridden by {@code args} ("--flag value" or "--flag=value"). */
    static DataPlaneSettings parse(String[] args, Map<String, String> env) {
        Map<String, String> merged = new HashMap<>(env);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("missing value for " + arg);
            }
            String variable = FLAGS.get(name);
            if (variable == null) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            merged.put(variable, value);
        }
        return DataPlaneSettings.fromEnvironment(merged);
    }

    private static void usage(PrintStream out) {
        out.println("""
                usage: gatehouse-data-plane [options]   (flags override environment variables)
                  --node-id ID          GATEHOUSE_NODE_ID     (hostname)
                  --region REGION       GATEHOUSE_REGION      ("")
                  --control-plane H:P   GATEHOUSE_CP_ADDRESS  (localhost:7070)
                  --bind HOST           GATEHOUSE_BIND        (0.0.0.0)
                  --port N              GATEHOUSE_PORT        (8080)
                  --admin-port N        GATEHOUSE_ADMIN_PORT  (9901)
                  --state-dir DIR       GATEHOUSE_STATE_DIR   (./.gatehouse/<node-id>)
                  --max-routes N        GATEHOUSE_MAX_ROUTES  (100000)
                  --redis-url URL       GATEHOUSE_REDIS_URL   (redis://127.0.0.1:6379)
                  --drain-timeout D     GATEHOUSE_DRAIN_TIMEOUT (20s; in-flight requests get this long on SIGTERM)""");
    }

}
