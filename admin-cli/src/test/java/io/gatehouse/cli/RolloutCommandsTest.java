package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout commands against a real control plane (fresh database per test), data planes played
 * by raw gRPC watch clients that ACK whatever they are sent: apply with a plan stages the version,
 * {@code rollout status} shows the wave on its data planes, {@code dataplanes} shows targets and
 * does not call the planned mix drift, and pause, resume, promote and abort do what they say, with
 * the exit codes the README documents. Bakes are an hour, so nothing moves unless a command moves it.
 */
class RolloutCommandsTest {

    private static final String EU_FIRST = "region=eu@1h, all";

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);
    private final List<AckingDataPlane> dataPlanes = new ArrayList<>();
    private CliRunner cli;
    private long v1;

    @TempDir
    Path dir;

    @BeforeEach
    void fleetOnVersionOne() throws Exception {
        cli = CliRunner.against(cp.target());
        v1 = cp.admin().apply(ApplyRequest.newBuilder().setConfig(ConfigFiles.parse(ConfigFiles.valid("orders")))
                .setMessage("v1").build()).getVersion().getVersion();
        dataPlanes.add(new AckingDataPlane(WatchClient.open(cp, "dp-eu-1", "eu", ""), "dp-eu-1", "eu"));
        dataPlanes.add(new AckingDataPlane(WatchClient.open(cp, "dp-us-1", "us", ""), "dp-us-1", "us"));
        for (AckingDataPlane dp : dataPlanes) {
            dp.awaitAcked(v1);
        }
    }

    @AfterEach
    void stopDataPlanes() {
        dataPlanes.forEach(AckingDataPlane::close);
    }

    @Test
    void applyWithAPlanStagesTheVersionAndStatusShowsTheWaveOnItsDataPlanes() throws Exception {
        Path file = ConfigFiles.write(dir, "v2.yaml", ConfigFiles.valid("orders", "orders-v2"));

        CliRunner.Result apply = cli.run("apply", file.toString(), "-m", "orders to spare", "--rollout", EU_FIRST);

        assertThat(apply.exitCode()).as(apply.toString()).isZero();
        long v2 = v1 + 1;
        long id = current().getId();
        assertThat(apply.out().lines().toList()).containsExactly(
                "staged version " + v2 + " (sha " + shortSha(v2) + "); active version " + v1
                        + " stays active until the rollout succeeds",
                "rollout " + id + ": region=eu@1h, all",
                "rollout " + id + " started; follow it with: gatehouse rollout status");
        eu().awaitAcked(v2);

        CliRunner.Result status = cli.run("rollout", "status");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).startsWith("rollout " + id + ": IN_PROGRESS, version " + v1 + " -> " + v2
                + " (wave 1 (region=eu))");
        assertThat(status.out().lines()).anySatisfy(l -> assertThat(l.split("\\s{2,}"))
                .startsWith("wave 1 *", "region=eu", "1h", "baking").endsWith("dp-eu-1"));
        assertThat(status.out()).contains("control plane replica " + cp.replicaId());

        // The planned mix: eu targets the candidate, us the active version; neither drifts.
        CliRunner.Result fleet = cli.run("dataplanes", "--check", "--max-drift", "1ms");
        assertThat(fleet.exitCode()).as(fleet.toString()).isZero();
        assertThat(fleet.out()).contains("1 targeted by a rollout, as planned",
                "rollout " + id + ": IN_PROGRESS");
        assertThat(row(fleet.out(), "dp-eu-1")).startsWith("dp-eu-1", "eu", "yes", Long.toString(v2),
                Long.toString(v2), "0");
        assertThat(row(fleet.out(), "dp-us-1")).startsWith("dp-us-1", "us", "yes", Long.toString(v1),
                Long.toString(v1), "0", "-");
        assertThat(us().versions).doesNotContain(v2);

        JsonNode json = cli.run("dataplanes", "-o", "json").json();
        assertThat(json.path("rollout").path("id").asLong()).isEqualTo(id);
    }

    @Test
    void abortSendsTheWaveBackAndWatchOnAnAbortedRolloutExitsSeven() throws Exception {
        long v2 = stage("v2.yaml");
        eu().awaitAcked(v2);

        CliRunner.Result abort = cli.run("rollout", "abort", "--reason", "\u001b[31mnot today\u001b[0m");

        assertThat(abort.exitCode()).as(abort.toString()).isZero();
        assertThat(abort.out()).contains("ABORTED", "aborted: every data plane goes back to version " + v1);
        eu().awaitAcked(v1);
        CliRunner.Result status = cli.run("rollout", "status");
        assertThat(status.exitCode()).as("status reports; it does not judge").isZero();
        assertThat(status.out()).contains("reason:   ").contains("\\u{1b}[31mnot today").doesNotContain("\u001b");
        CliRunner.Result watch = cli.run("rollout", "status", "--watch", "--interval", "50ms");
        assertThat(watch.exitCode()).as(watch.toString()).isEqualTo(ExitCodes.ROLLOUT_STOPPED);
        CliRunner.Result again = cli.run("rollout", "abort");
        assertThat(again.exitCode()).as("an ended rollout cannot be aborted: " + again).isEqualTo(ExitCodes.FAILED);
        assertThat(activeVersion()).isEqualTo(v1);
        assertThat(us().versions).doesNotContain(v2);
    }

    @Test
    void aDataPlaneLeftOnTheCandidateOfAnAbortedRolloutIsDrift() throws Exception {
        long v2 = stage("v2.yaml");
        eu().awaitAcked(v2);
        eu().acking = false; // stuck: it will not take version 1 back

        assertThat(cli.run("rollout", "abort").exitCode()).isZero();

        AtomicReference<CliRunner.Result> check = new AtomicReference<>();
        Await.until("check fails", Duration.ofSeconds(10), () -> {
            check.set(cli.run("dataplanes", "--check", "--max-drift", "200ms"));
            return check.get().exitCode() == ExitCodes.DRIFT;
        });
        assertThat(check.get().err()).contains("data plane dp-eu-1 runs version " + v2
                + ", not the active version " + v1, "longer than --max-drift");
        assertThat(check.get().err()).doesNotContain("dp-us-1");
    }

    @Test
    void pauseKeepsTheWaveResumeContinuesAndPromoteFinishesWithWatchExitingZero() throws Exception {
        long v2 = stage("v2.yaml");
        long id = current().getId();

        CliRunner.Result pause = cli.run("rollout", "pause", Long.toString(id), "--reason", "lunch");
        assertThat(pause.exitCode()).as(pause.toString()).isZero();
        assertThat(pause.out()).contains("rollout " + id + ": PAUSED", "gatehouse rollout resume " + id);
        assertThat(cli.run("rollout", "status", "-o", "json").out()).contains("\"state\": \"PAUSED\"", "lunch");

        CliRunner.Result resume = cli.run("rollout", "resume");
        assertThat(resume.exitCode()).as(resume.toString()).isZero();
        assertThat(current().getState()).isIn(RolloutState.IN_PROGRESS, RolloutState.SHADOW);

        CliRunner.Result promote = cli.run("rollout", "promote", "--reason", "looks fine");
        assertThat(promote.exitCode()).as(promote.toString()).isZero();
        CliRunner.Result watch = cli.run("rollout", "status", Long.toString(id), "--watch", "--interval", "100ms");
        assertThat(watch.exitCode()).as(watch.toString()).isZero();
        assertThat(watch.out()).contains("rollout " + id + ": SUCCEEDED");
        assertThat(activeVersion()).isEqualTo(v2);
        us().awaitAcked(v2);

        CliRunner.Result list = cli.run("rollout", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(row(list.out(), Long.toString(id))).startsWith(Long.toString(id), "SUCCEEDED",
                Long.toString(v1), Long.toString(v2), "region=eu@1h, all");
    }

    @Test
    void expectedChangesGoToTheServerAndShadowDifferencesArePrintedEscaped() throws Exception {
        Path file = ConfigFiles.write(dir, "v2.yaml", ConfigFiles.valid("orders", "orders-v2"));

        CliRunner.Result apply = cli.run("apply", file.toString(), "-m", "shadow it", "-o", "json",
                "--rollout", "shadow@1h, all", "--expect-changes", "route=orders,route=users",
                "--expect-changes", "route=orders");

        JsonNode response = apply.json();
        assertThat(response.path("outcome").asText()).isEqualTo("STAGED");
        JsonNode rollout = response.path("rollout");
        assertThat(rollout.path("expectChanges").toString()).isEqualTo("[\"orders\",\"users\"]");
        long id = rollout.path("id").asLong();
        long v2 = rollout.path("toVersion").asLong();
        String hostile = "orders\u001b]0;owned\u0007";
        ShadowLoad report = ShadowLoad.newBuilder().setRolloutId(id).setCandidateVersion(v2)
                .addRoutes(RouteShadow.newBuilder().setRouteId(hostile).setSampled(40).setRouteChanged(4)
                        .addChanges(DecisionChange.newBuilder().setKind("route").setFrom(hostile)
                                .setTo("\u001b[2Jorders-v2").setCount(4)))
                .build();
        // Sent again until it counts, as a data plane reports every few seconds (the counters are
        // cumulative, so a repeat changes nothing): the first may come before the replica knows the rollout.
        Await.until("the shadow report in the rollout", Duration.ofSeconds(10), () -> {
            eu().report(report);
            return current().getShadowCount() > 0;
        });

        CliRunner.Result status = cli.run("rollout", "status", Long.toString(id));

        assertThat(status.exitCode()).as(status.toString()).isZero();
        assertThat(status.out()).doesNotContain("\u001b", "\u0007")
                .contains("10.0% of requests on route orders\\u{1b}]0;owned\\u{7} would route to \\u{1b}[2Jorders-v2");
        assertThat(dataPlanes).allSatisfy(dp -> assertThat(dp.versions).doesNotContain(v2));
    }

    @Test
    void rollbackTakesAPlanToo() throws Exception {
        Path file = ConfigFiles.write(dir, "v2.yaml", ConfigFiles.valid("orders", "orders-v2"));
        assertThat(cli.run("apply", file.toString(), "-m", "at once").exitCode()).isZero();
        long v2 = v1 + 1;
        us().awaitAcked(v2);

        CliRunner.Result rollback = cli.run("rollback", Long.toString(v1), "-m", "v2 misbehaves", "--rollout", EU_FIRST);

        assertThat(rollback.exitCode()).as(rollback.toString()).isZero();
        long v3 = v2 + 1;
        assertThat(rollback.out()).startsWith("staged the content of version " + v1 + " as version " + v3 + " (sha ")
                .contains("active version " + v2 + " stays active until the rollout succeeds",
                        "started; follow it with: gatehouse rollout status");
        eu().awaitAcked(v3);
        assertThat(activeVersion()).isEqualTo(v2);
        assertThat(us().versions).doesNotContain(v3);
    }

    @Test
    void statusWithoutAnyRolloutSaysHowToStartOne() {
        CliRunner.Result status = cli.run("rollout", "status");

        assertThat(status.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(status.err()).contains("no rollout yet: start one with 'gatehouse apply FILE -m MSG --rollout PLAN'");
        assertThat(cli.run("rollout", "list").out()).startsWith("no rollouts yet");
    }

    private long stage(String fileName) {
        Path file = ConfigFiles.write(dir, fileName, ConfigFiles.valid("orders", "orders-v2"));
        CliRunner.Result apply = cli.run("apply", file.toString(), "-m", "staged", "--rollout", EU_FIRST);
        assertThat(apply.exitCode()).as(apply.toString()).isZero();
        assertThat(apply.out()).contains("staged version");
        return current().getToVersion();
    }

    private Rollout current() {
        return cp.admin().getRollout(GetRolloutRequest.getDefaultInstance());
    }

    private long activeVersion() {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getActiveVersion();
    }

    private String shortSha(long version) {
        return Output.shortSha(cp.admin().getVersion(GetVersionRequest.newBuilder().setVersion(version).build())
                .getInfo().getSha256());
    }

    private AckingDataPlane eu() {
        return dataPlanes.get(0);
    }

    private AckingDataPlane us() {
        return dataPlanes.get(1);
    }

    /** The cells of the table row whose first cell is {@code first}. */
    private static List<String> row(String table, String first) {
        return table.lines().map(l -> List.of(l.split("\\s{2,}"))).filter(cells -> cells.get(0).equals(first))
                .findFirst().orElseThrow(() -> new AssertionError("no row " + first + " in\n" + table));
    }

    /** A watch client that ACKs every snapshot on a thread of its own and remembers the versions. */
    private static final class AckingDataPlane implements AutoCloseable {
        private final WatchClient client;
        private final Node node;
        final Set<Long> versions = ConcurrentHashMap.newKeySet();
        private volatile long acked;
        private volatile boolean running = true;
        /** False: snapshots are taken but not ACKed (a data plane that is stuck). */
        volatile boolean acking = true;
        private final Thread thread;

        AckingDataPlane(WatchClient client, String id, String region) {
            this.client = client;
            this.node = Node.newBuilder().setId(id).setRegion(region).setBuildVersion("test").build();
            this.thread = Thread.ofVirtual().start(this::ackAll);
        }

        private void ackAll() {
            while (running) {
                if (client.pending() == 0 || !acking) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                WatchResponse response = client.next();
                // One writer at a time on the request stream: report() sends from the test thread.
                synchronized (this) {
                    client.ack(response);
                }
                long version = Long.parseLong(response.getVersionInfo().split("\\.")[0]);
                versions.add(version);
                acked = version;
            }
        }

        void awaitAcked(long version) throws InterruptedException {
            Await.until(node.getId() + " on version " + version, Duration.ofSeconds(10), () -> acked == version);
        }

        synchronized void report(ShadowLoad shadow) {
            client.send(WatchRequest.newBuilder().setNode(node)
                    .setLoadReport(LoadReport.newBuilder().setIncarnation("test").setShadow(shadow)).build());
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            client.close();
        }
    }
}
