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
    static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("--node-id", "GATEHOUSE_NODE_ID"),
            Map.entry("--region", "GATEHOUSE_REGION"),
            Map.entry("--control-plane", "GATEHOUSE_CP_ADDRESS"),
            Map.entry("--bind", "GATEHOUSE_BIND"),
            Map.entry("--port", "GATEHOUSE_PORT"),
            Map.entry("--https-port", "GATEHOUSE_HTTPS_PORT"),
            Map.entry("--admin-bind", "GATEHOUSE_ADMIN_BIND"),
            Map.entry("--admin-port", "GATEHOUSE_ADMIN_PORT"),
            Map.entry("--state-dir", "GATEHOUSE_STATE_DIR"),
            Map.entry("--max-routes", "GATEHOUSE_MAX_ROUTES"),
            Map.entry("--redis-url", "GATEHOUSE_REDIS_URL"),
            Map.entry("--drain-timeout", "GATEHOUSE_DRAIN_TIMEOUT"),
            Map.entry("--replay-buffer-bytes", "GATEHOUSE_REPLAY_BUFFER_BYTES"),
            Map.entry("--label", "GATEHOUSE_LABELS"),
            Map.entry("--load-report-interval", "GATEHOUSE_LOAD_REPORT_INTERVAL"),
            Map.entry("--tls-cert", "GATEHOUSE_TLS_CERT"),
            Map.entry("--tls-key", "GATEHOUSE_TLS_KEY"),
            Map.entry("--tls-ca", "GATEHOUSE_TLS_CA"),
            Map.entry("--tls-reload-interval", "GATEHOUSE_TLS_RELOAD_INTERVAL"));

    /** Flags without a value: they set their variable to "true". */
    static final Map<String, String> SWITCHES = Map.of(
            "--insecure-plaintext", "GATEHOUSE_INSECURE_PLAINTEXT");

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
        DataPlane dataPlane;
        try {
            dataPlane = DataPlane.start(settings);
        } catch (DataPlaneStartException e) {
            System.err.println("gatehouse-data-plane: " + e.getMessage());
            System.exit(1);
            return;
        }
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
        boolean labelFlag = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (SWITCHES.containsKey(arg)) {
                merged.put(SWITCHES.get(arg), "true");
                continue;
            }
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
            if (name.equals("--redis-url") && io.gatehouse.dataplane.redis.RedisAuth.hasPassword(value)) {
                // ps shows command lines to every user of the machine.
                throw new IllegalArgumentException("--redis-url must not carry credentials (ps shows them): use"
                        + " GATEHOUSE_REDIS_USER and GATEHOUSE_REDIS_PASSWORD_FILE");
            }
            if (name.equals("--label")) {
                // Repeatable: the flags together replace GATEHOUSE_LABELS.
                merged.put(variable, labelFlag ? merged.get(variable) + "," + value : value);
                labelFlag = true;
                continue;
            }
            merged.put(variable, value);
        }
        return DataPlaneSettings.fromEnvironment(merged);
    }

    private static void usage(PrintStream out) {
        out.println("""
                usage: gatehouse-data-plane --tls-cert FILE --tls-key FILE --tls-ca FILE [options]
                       gatehouse-data-plane --insecure-plaintext [options]   (local experiments only)
                  (flags override environment variables)
                  --tls-cert FILE       GATEHOUSE_TLS_CERT    this data plane's certificate (gatehouse certs issue data-plane)
                  --tls-key FILE        GATEHOUSE_TLS_KEY     its PKCS#8 private key
                  --tls-ca FILE         GATEHOUSE_TLS_CA      CA the control plane's certificate must chain to
                  --tls-reload-interval D  GATEHOUSE_TLS_RELOAD_INTERVAL (10s; the three files are re-read this often)
                  --insecure-plaintext  GATEHOUSE_INSECURE_PLAINTEXT=true: no TLS to the control plane
                  --node-id ID          GATEHOUSE_NODE_ID     (the certificate's, else hostname)
                  --region REGION       GATEHOUSE_REGION      (the certificate's, else "")
                  --control-plane H:P   GATEHOUSE_CP_ADDRESS  (localhost:7070)
                  --bind HOST           GATEHOUSE_BIND        (0.0.0.0; client traffic)
                  --port N              GATEHOUSE_PORT        (8080)
                  --https-port N        GATEHOUSE_HTTPS_PORT  (none; HTTPS with the config's certificates)
                  --admin-bind HOST     GATEHOUSE_ADMIN_BIND  (127.0.0.1; /healthz, /readyz, /config, /metrics)
                  --admin-port N        GATEHOUSE_ADMIN_PORT  (9901)
                  --state-dir DIR       GATEHOUSE_STATE_DIR   (./.gatehouse/<node-id>)
                  --max-routes N        GATEHOUSE_MAX_ROUTES  (100000)
                  --redis-url URL       GATEHOUSE_REDIS_URL   (redis://127.0.0.1:6379; rediss:// for TLS)
                  (env only)            GATEHOUSE_REDIS_USER, GATEHOUSE_REDIS_PASSWORD_FILE (or _PASSWORD),
                                        GATEHOUSE_REDIS_CA: Redis AUTH and the CA of a rediss:// server
                  --drain-timeout D     GATEHOUSE_DRAIN_TIMEOUT (20s; in-flight requests get this long on SIGTERM)
                  --label K=V           GATEHOUSE_LABELS="K=V,K2=V2" (none; repeatable; rollout waves select on them;
                                        at most 16, keys and values 1-63 chars of A-Z a-z 0-9 . _ -)
                  --load-report-interval D  GATEHOUSE_LOAD_REPORT_INTERVAL (5s; traffic per config version and
                                        route sent to the control plane this often, when it changed)
                  --replay-buffer-bytes N  GATEHOUSE_REPLAY_BUFFER_BYTES (67108864 = 64 MiB; request bodies held
                                        for retries, all requests together; over it bodies stream, not retried)""");
    }

}
