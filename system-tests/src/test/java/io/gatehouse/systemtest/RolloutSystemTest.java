package io.gatehouse.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.CliRunner;
import io.gatehouse.cli.ExitCodes;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Progressive delivery on a real fleet on loopback (issue 17): two control plane replicas on one
 * PostgreSQL database, data planes dp-eu-1 and dp-eu-2 (region eu) and dp-us-1 (region us), real
 * upstreams (two healthy, one answering 503), clients on every data plane, and the CLI
 * driving it all. Replica cp-a starts first and so holds the rollout lease; every data plane
 * watches cp-b, so cp-a can be killed mid-wave without cutting a data plane off.
 *
 * <p>One fleet for the class (starting it is most of the time); the scenarios run in order and each
 * starts from a settled fleet: no rollout in progress, every data plane on the active version. The
 * driver replica is killed last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class RolloutSystemTest {

    private static final Duration CONVERGE = Duration.ofSeconds(15);
    private static final String LOAD_REPORT_INTERVAL = "gatehouse.loadReport.interval";

    // Ordered: JUnit's own order of extension fields is "deterministic but intentionally nonobvious".
    // The database must start first (a replica that starts it also stops it, and with it the other
    // replica, when it is closed mid-test), and cp-a before cp-b so that cp-a takes the lease.
    @RegisterExtension @Order(1) final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension @Order(2) final RunningControlPlane driver = RunningControlPlane.on(db, "cp-a");
    @RegisterExtension @Order(3) final RunningControlPlane serving = RunningControlPlane.on(db, "cp-b");
    @RegisterExtension @Order(4) final Closer closer = new Closer();

    private final Map<String, DataPlane> fleet = new ConcurrentHashMap<>();
    private final AtomicInteger tag = new AtomicInteger();
    private Path dir;
    private CliRunner cli;
    private NamedUpstream blue;
    private NamedUpstream green;
    private NamedUpstream broken;
    private FleetVersions versions;
    private ClientLoad usOrders;
    private String previousInterval;

    @BeforeAll
    void startFleet(@TempDir Path dir) throws Exception {
        this.dir = dir;
        // Load reports every 300 ms instead of 5 s, so a gate has figures within a second. Read when
        // the data planes' settings are made, below; restored after the class.
        previousInterval = System.setProperty(LOAD_REPORT_INTERVAL, "300ms");
        blue = closer.track(NamedUpstream.start("blue"));
        green = closer.track(NamedUpstream.start("green"));
        broken = closer.track(NamedUpstream.failing("broken"));
        for (String id : List.of("dp-eu-1", "dp-eu-2", "dp-us-1")) {
            startDataPlane(id);
        }
        versions = closer.track(new FleetVersions(fleet));
        cli = CliRunner.against(serving.target());
        long v1 = apply(config("blue", "blue"), "start", null);
        awaitFleetOn(v1);
        // The us clients must never see an error, whatever happens in eu; eu clients give the gates
        // their figures (and the shadow step its samples).
        usOrders = closer.track(ClientLoad.start("us /orders", () -> url("dp-us-1", "/orders")));
        for (String id : List.of("dp-eu-1", "dp-eu-2")) {
            closer.track(ClientLoad.start(id + " /orders", () -> url(id, "/orders")));
            closer.track(ClientLoad.start(id + " /users", () -> url(id, "/users")));
        }
    }

    @AfterAll
    void restoreProperty() {
        if (previousInterval == null) {
            System.clearProperty(LOAD_REPORT_INTERVAL);
        } else {
            System.setProperty(LOAD_REPORT_INTERVAL, previousInterval);
        }
    }

    @BeforeEach
    void settled() {
        awaitFleetOn(activeVersion());
    }

    @Test
    @Order(1)
    void aBadChangeIsStoppedInTheFirstRegionAndRolledBackWhileTheOtherNeverSeesIt() throws Exception {
        long good = activeVersion();
        long usFailuresBefore = usOrders.failed();

        long bad = apply(config("broken", "blue"), "orders to a broken deployment", "region=eu@20s, all");

        CliRunner.Result watch = cli.run("rollout", "status", "--watch", "--interval", "200ms");
        assertThat(watch.exitCode()).as(watch.toString()).isEqualTo(ExitCodes.ROLLOUT_STOPPED);
        awaitFleetOn(good);
        long firstPush = List.of("dp-eu-1", "dp-eu-2").stream().flatMap(id -> versions.switches(id).stream())
                .filter(s -> s.version() == bad).mapToLong(FleetVersions.Switch::nanos).min()
                .orElseThrow(() -> new AssertionError("no eu data plane ever ran version " + bad));
        long rolledBack = List.of("dp-eu-1", "dp-eu-2").stream().flatMap(id -> versions.switches(id).stream())
                .filter(s -> s.version() == good && s.nanos() > firstPush).mapToLong(FleetVersions.Switch::nanos)
                .max().orElseThrow();
        System.out.printf("[measure] bad change: first wave push -> automatic rollback: %d ms%n",
                (rolledBack - firstPush) / 1_000_000);

        CliRunner.Result status = cli.run("rollout", "status");
        System.out.println(status.out());
        assertThat(status.out()).startsWith("rollout ").contains(": FAILED, version " + good + " -> " + bad)
                .contains("reason:   wave 1 (region=eu): ");
        assertThat(versions.seen("dp-us-1")).as("us never receives the bad version").doesNotContain(bad);
        assertThat(usOrders.failed() - usFailuresBefore).as(usOrders.toString()).isZero();
        assertThat(usOrders.ok()).isPositive();
        assertThat(activeVersion()).isEqualTo(good);
    }

    @Test
    @Order(2)
    void aGoodChangeGoesThroughEveryWaveAndBecomesActive() throws Exception {
        long v = apply(config("green", "blue"), "orders to green", "region=eu@2s, all");

        CliRunner.Result watch = cli.run("rollout", "status", "--watch", "--interval", "200ms");

        assertThat(watch.exitCode()).as(watch.toString()).isZero();
        assertThat(watch.out()).contains(": SUCCEEDED, version ");
        assertThat(activeVersion()).isEqualTo(v);
        awaitFleetOn(v);
    }

    @Test
    @Order(3)
    void anUnexpectedShadowDifferenceStopsTheRolloutBeforeAnyDataPlaneRunsIt() throws Exception {
        long before = activeVersion();
        String current = orders();
        // Changes /orders (expected) and /users (not expected).
        long candidate = apply(config(current.equals("blue") ? "green" : "blue", "green"),
                "orders and, by mistake, users", "shadow@5s, all", "--expect-changes", "route=orders");

        CliRunner.Result watch = cli.run("rollout", "status", "--watch", "--interval", "200ms");

        assertThat(watch.exitCode()).as(watch.toString()).isEqualTo(ExitCodes.ROLLOUT_STOPPED);
        assertThat(watch.out()).contains(": FAILED, version " + before + " -> " + candidate)
                .contains("reason:   shadow step")
                .contains("/users requests would go to upstream green instead of blue (not expected)");
        for (String id : fleet.keySet()) {
            assertThat(versions.seen(id)).as(id + " never runs the candidate").doesNotContain(candidate);
        }
        assertThat(activeVersion()).isEqualTo(before);
    }

    @Test
    @Order(4)
    void aDataPlaneThatWasDownDuringItsWaveGetsTheRightVersionWhenItReturns() throws Exception {
        fleet.remove("dp-eu-2").close();
        long v = apply(config(orders().equals("blue") ? "green" : "blue", "blue"), "while dp-eu-2 is down",
                "region=eu@2s, all");

        CliRunner.Result watch = cli.run("rollout", "status", "--watch", "--interval", "200ms");
        assertThat(watch.exitCode()).as(watch.toString()).isZero();
        assertThat(versions.seen("dp-eu-2")).doesNotContain(v);

        DataPlane back = startDataPlane("dp-eu-2");
        Await.until("dp-eu-2 back on version " + v, CONVERGE, () -> back.configVersion() == v);
    }

    @Test
    @Order(5)
    void whenTheDrivingReplicaDiesMidWaveTheOtherFinishesTheRollout() throws Exception {
        long v = apply(config(orders().equals("blue") ? "green" : "blue", "blue"), "driver dies",
                "region=eu@3s, all");
        long id = rollout().getId();
        Await.until("wave 1 baking, driven by cp-a", CONVERGE, () -> {
            Rollout r = rollout();
            return r.getDriver().equals("cp-a") && r.getWaves(0).getState().equals("baking");
        });

        driver.close();

        CliRunner.Result watch = cli.run("rollout", "status", Long.toString(id), "--watch", "--interval", "200ms");
        assertThat(watch.exitCode()).as(watch.toString()).isZero();
        // cp-b took the lease and wrote its name on the rollout (seen as a change or in the final report).
        assertThat(watch.out()).contains("cp-b");
        awaitFleetOn(v);
    }

    // ---- fleet -----------------------------------------------------------------------------------

    private DataPlane startDataPlane(String id) {
        String region = id.substring(3, 5);
        DataPlane dp = DataPlane.start(new DataPlaneSettings(id, region, serving.target(), "127.0.0.1", 0, 0,
                dir.resolve(id), DataPlaneSettings.DEFAULT_MAX_ROUTES)
                .withControlPlaneTls(TestPki.shared().dataPlane(id, region)));
        fleet.put(id, dp);
        closer.track(() -> {
            if (fleet.get(id) == dp) {
                dp.close();
            }
        });
        return dp;
    }

    private URI url(String id, String path) {
        DataPlane dp = fleet.get(id);
        // Port 1 (refused) while a data plane is down or closing.
        int port = dp == null ? 1 : dp.port();
        return URI.create("http://127.0.0.1:" + (port > 0 ? port : 1) + path);
    }

    private void awaitFleetOn(long version) {
        for (Map.Entry<String, DataPlane> dp : fleet.entrySet()) {
            Await.until(dp.getKey() + " on version " + version, CONVERGE, () -> dp.getValue().configVersion() == version);
        }
    }

    private long activeVersion() {
        return serving.admin().listDataPlanes(io.gatehouse.proto.admin.v1.ListDataPlanesRequest.getDefaultInstance())
                .getActiveVersion();
    }

    private Rollout rollout() {
        return serving.admin().getRollout(GetRolloutRequest.getDefaultInstance());
    }

    /** The upstream /orders goes to in the active version. */
    private String orders() {
        JsonNode routes = cli.run("show", "-o", "json").json().path("config").path("routes");
        for (JsonNode route : routes) {
            if (route.path("id").asText().equals("orders")) {
                return route.path("upstream").asText();
            }
        }
        throw new AssertionError("no orders route in " + routes);
    }

    /** Applies through the CLI (with a plan unless null); the new version's number. */
    private long apply(String yaml, String message, String plan, String... more) throws IOException {
        Path file = Files.writeString(dir.resolve("v" + tag.get() + ".yaml"), yaml);
        List<String> args = new java.util.ArrayList<>(List.of("apply", file.toString(), "-m", message, "-o", "json"));
        if (plan != null) {
            args.addAll(List.of("--rollout", plan));
        }
        args.addAll(List.of(more));
        JsonNode response = cli.run(args.toArray(String[]::new)).json();
        assertThat(response.path("outcome").asText()).isEqualTo(plan == null ? "APPLIED" : "STAGED");
        return response.path("version").path("version").asLong();
    }

    /**
     * Routes /orders and /users to the named upstreams; a route of its own per call makes every
     * config distinct (nobody sends traffic there, so it changes no decision the test looks at).
     */
    private String config(String orders, String users) {
        return """
                upstreams:
                  - name: blue
                    targets: [{url: "%s"}]
                  - name: green
                    targets: [{url: "%s"}]
                  - name: broken
                    targets: [{url: "%s"}]
                routes:
                  - id: orders
                    match: {pathPrefix: /orders}
                    upstream: %s
                  - id: users
                    match: {pathPrefix: /users}
                    upstream: %s
                  - id: tag-%d
                    match: {pathPrefix: /tag-%d}
                    upstream: blue
                settings:
                  upstreamPolicy: {allowLoopback: true}
                  # Every request sampled in shadow; p99 all but ignored: on a shared 2-core machine the
                  # clients' own scheduling moves p99 by tens of ms, and these scenarios are about errors.
                  rollout: {shadowSampleRatio: 1.0, maxP99Ratio: 1000, minP99IncreaseMs: 60000}
                """.formatted(blue.url(), green.url(), broken.url(), orders, users, tag.get(), tag.getAndIncrement());
    }

}
