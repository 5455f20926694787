package io.gatehouse.chaos.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.chaos.fault.FaultProxy;
import io.gatehouse.chaos.fault.SmallDisk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole system under test, all real processes on this machine:
 * <pre>
 *   load ──► dp-us-1, dp-eu-1 ──► steady, steady-2 (upstreams in the driver)
 *                │     │     └──► proxy ──► flaky (upstream)
 *                │     └── proxy ──► redis-server
 *                └── balancer proxy ──► cp-1, cp-2 ──► proxy ──► postgres
 * </pre>
 * Every arrow with "proxy" can carry a {@link io.gatehouse.chaos.fault.Fault}; every process can be
 * killed, frozen and restarted. {@link #close()} stops all of it, in reverse order of start.
 */
public final class Fleet implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern APPLIED = Pattern.compile("applied version (\\d+)");
    /** A JVM start on the shared 2-core box took up to ~2 minutes under other builds' load. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(240);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Path work;
    private PostgresServer postgres;
    private FaultProxy postgresProxy;
    private RedisServer redis;
    private FaultProxy redisProxy;
    private List<ControlPlaneNode> controlPlanes;
    private FaultProxy controlPlaneBalancer;
    private DataPlaneNode us;
    private DataPlaneNode eu;
    private Upstream steady;
    private Upstream steady2;
    private FaultProxy flakyProxy;
    private Optional<SmallDisk> euDisk = Optional.empty();
    private GatewayConfigs configs;
    private Cli cli;
    private long activeVersion;
    private int applies;

    private Fleet(Path work) {
        this.work = work;
    }

    /**
     * Starts everything and applies the base config; both data planes serve it when this returns.
     *
     * @param root the repository root (the control plane and data plane jars are under it)
     * @param work an empty directory for logs, certificates and state
     */
    public static Fleet start(Path root, Path work) throws Exception {
        Fleet fleet = new Fleet(work);
        try {
            fleet.startAll(root);
            return fleet;
        } catch (Exception | Error e) {
            fleet.close();
            throw e;
        }
    }

    private void startAll(Path root) throws Exception {
        Path cpJar = root.resolve("control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar");
        Path dpJar = root.resolve("data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar");
        for (Path jar : List.of(cpJar, dpJar)) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build first (mvn -DskipTests package)");
            }
        }
        Path logs = Files.createDirectories(work.resolve("logs"));
        FleetPki pki = FleetPki.create(Files.createDirectories(work.resolve("pki")),
                List.of(new String[] {"dp-us-1", "us"}, new String[] {"dp-eu-1", "eu"}));

        postgres = keep(PostgresServer.start(logs));
        postgresProxy = keep(FaultProxy.start("postgres", postgres.port()));
        redis = keep(RedisServer.start(logs));
        redisProxy = keep(FaultProxy.start("redis", redis.port()));
        steady = keep(Upstream.start("steady"));
        steady2 = keep(Upstream.start("steady-2"));
        Upstream flaky = keep(Upstream.start("flaky"));
        flakyProxy = keep(FaultProxy.start("flaky", flaky.port()));
        configs = new GatewayConfigs(steady.port(), steady2.port(), flakyProxy.port());

        String jdbc = "jdbc:postgresql://127.0.0.1:" + postgresProxy.port() + "/" + PostgresServer.DATABASE;
        ControlPlaneNode cp1 = keep(new ControlPlaneNode("cp-1", cpJar, pki, jdbc, logs));
        ControlPlaneNode cp2 = keep(new ControlPlaneNode("cp-2", cpJar, pki, jdbc, logs));
        controlPlanes = List.of(cp1, cp2);
        controlPlaneBalancer = keep(FaultProxy.start("cp-balancer", List.of(cp1.port(), cp2.port())));
        String cpAddress = "127.0.0.1:" + controlPlaneBalancer.port();
        cli = new Cli(Map.of("GATEHOUSE_CP_ADDRESS", cpAddress, "GATEHOUSE_PKI_DIR", pki.dir().toString(),
                "GATEHOUSE_TOKEN_FILE", pki.bootstrapToken().toString(), "HOME", work.toString(), "USER", "chaos"));

        String redisUrl = "redis://127.0.0.1:" + redisProxy.port();
        Path euState = work.resolve("state/dp-eu-1");
        euDisk = SmallDisk.mount(euState, 256 * 1024);
        euDisk.ifPresent(this::keep);
        us = keep(new DataPlaneNode("dp-us-1", dpJar, pki, cpAddress, redisUrl, work.resolve("state/dp-us-1"), logs));
        eu = keep(new DataPlaneNode("dp-eu-1", dpJar, pki, cpAddress, redisUrl, euState, logs));
        // All four JVMs start at once (Flyway serializes the replicas' migrations with a lock; data
        // planes retry until a replica answers): the start is mostly waiting on CPU and disk.
        for (ControlPlaneNode cp : controlPlanes) {
            cp.process().start();
        }
        us.process().start();
        eu.process().start();
        for (ControlPlaneNode cp : controlPlanes) {
            cp.awaitServing(START_TIMEOUT);
        }
        us.awaitAdmin(START_TIMEOUT);
        eu.awaitAdmin(START_TIMEOUT);

        Cli.Result applied = apply(configs.variant(0), "chaos: base config");
        if (applied.exitCode() != 0) {
            throw new IllegalStateException("the base config was not applied: " + applied);
        }
        awaitConverged(Duration.ofSeconds(60));
    }

    private <T extends AutoCloseable> T keep(T closeable) {
        started.push(closeable);
        return closeable;
    }

    /** Writes {@code yaml} to a file and runs {@code gatehouse apply FILE -m message}; remembers the new version. */
    public Cli.Result apply(String yaml, String message) throws IOException {
        Path file = work.resolve("config-" + (++applies) + ".yaml");
        Files.writeString(file, yaml);
        Cli.Result result = cli.run("apply", file.toString(), "-m", message);
        Matcher m = APPLIED.matcher(result.out());
        if (result.exitCode() == 0 && m.find()) {
            activeVersion = Long.parseLong(m.group(1));
        }
        return result;
    }

    /** The version the last successful apply created. */
    public long activeVersion() {
        return activeVersion;
    }

    /** Waits until both data planes serve {@link #activeVersion()}; returns how long it took. */
    public Duration awaitConverged(Duration timeout) {
        return Await.orFail("both data planes on version " + activeVersion, timeout,
                () -> us.version() == activeVersion && eu.version() == activeVersion);
    }

    /** One data plane as the control plane sees it ({@code gatehouse dataplanes -o json}). */
    public record DataPlaneView(String id, boolean connected, long ackedVersion, String controlPlaneId) {
    }

    /** The fleet view through {@code cli} (e.g. one pointed at a single replica); empty when the call fails. */
    public Optional<List<DataPlaneView>> fleetView(Cli through) {
        Cli.Result result = through.run("dataplanes", "-o", "json", "--timeout", "2s");
        if (result.exitCode() != 0) {
            return Optional.empty();
        }
        try {
            JsonNode root = JSON.readTree(result.out());
            JsonNode list = root.has("dataPlanes") ? root.get("dataPlanes") : root;
            List<DataPlaneView> views = new java.util.ArrayList<>();
            for (JsonNode dp : list) {
                views.add(new DataPlaneView(dp.path("id").asText(), dp.path("connected").asBoolean(),
                        dp.path("ackedVersion").asLong(), dp.path("controlPlaneId").asText()));
            }
            return Optional.of(views);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether the control plane shows both data planes connected and ACKed at the active version. */
    public boolean fleetViewCorrect() {
        return fleetView(cli).map(views -> views.stream()
                .filter(v -> v.connected() && v.ackedVersion() == activeVersion).count() == 2).orElse(false);
    }

    /** The CLI talking to one replica only (not through the balancer). */
    public Cli cliOn(ControlPlaneNode replica) {
        return cli.with("GATEHOUSE_CP_ADDRESS", "127.0.0.1:" + replica.port());
    }

    /** SIGKILL to every control plane replica. */
    public void killControlPlanes() throws IOException, InterruptedException {
        for (ControlPlaneNode cp : controlPlanes) {
            cp.process().kill9();
        }
    }

    /** Starts every replica that is not running, in parallel, and waits until each serves gRPC. */
    public void startControlPlanes() throws Exception {
        List<Thread> starting = new java.util.ArrayList<>();
        List<Exception> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (ControlPlaneNode cp : controlPlanes) {
            if (!cp.process().alive()) {
                starting.add(Thread.ofVirtual().start(() -> {
                    try {
                        cp.startAndAwait(START_TIMEOUT);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }));
            }
        }
        for (Thread t : starting) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw failures.getFirst();
        }
    }

    /**
     * Puts the fleet back to healthy after a scenario, whatever it left behind: faults healed,
     * frozen processes thawed, dead ones started, both data planes on the active version.
     *
     * @return whether a process had to be started (its JVM start costs the machine for a while)
     */
    public boolean repair() throws Exception {
        boolean started = controlPlanes.stream().anyMatch(cp -> !cp.process().alive())
                || dataPlanes().stream().anyMatch(dp -> !dp.process().alive())
                || !postgres.process().alive() || !redis.process().alive();
        for (FaultProxy proxy : List.of(postgresProxy, redisProxy, controlPlaneBalancer, flakyProxy)) {
            proxy.heal();
        }
        euDisk.ifPresent(disk -> {
            try {
                disk.free();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        for (ManagedProcess process : List.of(postgres.process(), redis.process())) {
            if (process.alive()) {
                process.thaw();
            }
        }
        if (!postgres.process().alive()) {
            postgres.startAndAwait();
        }
        if (!redis.process().alive()) {
            redis.startAndAwait();
        }
        for (ControlPlaneNode cp : controlPlanes) {
            if (cp.process().alive()) {
                cp.process().thaw();
            }
        }
        startControlPlanes();
        for (DataPlaneNode dp : dataPlanes()) {
            if (!dp.process().alive()) {
                dp.startAndAwait(START_TIMEOUT);
            }
        }
        awaitConverged(Duration.ofSeconds(60));
        Await.orFail("both data planes connected to a control plane", Duration.ofSeconds(60),
                () -> us.controlPlaneConnected() && eu.controlPlaneConnected());
        return started;
    }

    public Cli cli() {
        return cli;
    }

    public GatewayConfigs configs() {
        return configs;
    }

    public PostgresServer postgres() {
        return postgres;
    }

    public FaultProxy postgresProxy() {
        return postgresProxy;
    }

    public RedisServer redis() {
        return redis;
    }

    public FaultProxy redisProxy() {
        return redisProxy;
    }

    public List<ControlPlaneNode> controlPlanes() {
        return controlPlanes;
    }

    public DataPlaneNode us() {
        return us;
    }

    public DataPlaneNode eu() {
        return eu;
    }

    public List<DataPlaneNode> dataPlanes() {
        return List.of(us, eu);
    }

    public FaultProxy flakyProxy() {
        return flakyProxy;
    }

    public Upstream steady() {
        return steady;
    }

    /** The tmpfs under dp-eu-1's last-known-good directory; empty where it could not be mounted. */
    public Optional<SmallDisk> euDisk() {
        return euDisk;
    }

    /** A Redis Cluster for the cluster scenario; none yet (the data plane's cluster support comes with issue 14's Redis work). */
    public Optional<RedisCluster> redisCluster() {
        return Optional.empty();
    }

    public Path work() {
        return work;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("chaos: stopping a fleet member failed: " + e);
            }
        }
    }
}
