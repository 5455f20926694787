package io.gatehouse.cli;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse dataplanes} against a real control plane with data planes played by raw gRPC
 * watch clients. Each test gets its own database, so "no data planes" really means none.
 */
class DataPlanesCommandTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);
    private CliRunner cli;

    @BeforeEach
    void connectCli() {
        cli = CliRunner.against(cp.target());
    }

    @Test
    void reportsNoDataPlanesWhenNoneEverConnected() throws Exception {
        CliRunner.Result table = cli.run("dataplanes");
        CliRunner.Result json = cli.run("dataplanes", "-o", "json");

        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out().strip()).isEqualTo("no data planes have connected (active version none)");
        assertThat(json.exitCode()).isZero();
        ListDataPlanesResponse parsed = ConfigCommandsTest.parse(json.out(), ListDataPlanesResponse.newBuilder());
        assertThat(parsed.getDataPlanesList()).isEmpty();
    }

    @Test
    void listsConnectedDataPlaneWithRegionAndAckedVersion() throws Exception {
        long version = apply("first");
        try (WatchClient dp = WatchClient.open(cp, "dp-us-1", "us", "")) {
            WatchResponse snapshot = dp.next();
            dp.ack(snapshot);
            awaitStatus("dp-us-1", s -> s.getAckedVersion() == version);

            CliRunner.Result table = cli.run("dataplanes");
            CliRunner.Result json = cli.run("dataplanes", "-o", "json");

            assertThat(table.exitCode()).as(table.toString()).isZero();
            assertThat(table.out().lines().findFirst().orElseThrow().split("\\s{2,}")).containsExactly(
                    "ID", "REGION", "CONNECTED", "VERSION", "TARGET", "BEHIND", "ROLLOUT", "LAST SEEN", "CERT EXPIRES",
                    "LAST NACK ERROR");
            String[] row = table.out().lines().skip(1).findFirst().orElseThrow().split("\\s{2,}");
            assertThat(row).hasSize(10);
            assertThat(row[0]).isEqualTo("dp-us-1");
            assertThat(row[1]).isEqualTo("us");
            assertThat(row[2]).isEqualTo("yes");
            assertThat(row[3]).isEqualTo(Long.toString(version));
            assertThat(row[4]).isIn(Long.toString(version), "-"); // "-": a control plane that does not say
            assertThat(row[5]).isEqualTo("0");
            assertThat(row[6]).isEqualTo("-"); // no rollout
            assertThat(row[7]).matches("\\d+s ago");
            assertThat(row[8]).isEqualTo("in 30 days"); // the test CA issues for 30 days
            assertThat(row[9]).isEqualTo("-");
            assertThat(table.err()).isEmpty(); // no expiry warning
            ListDataPlanesResponse parsed = ConfigCommandsTest.parse(json.out(), ListDataPlanesResponse.newBuilder());
            assertThat(parsed.getDataPlanes(0).getConnected()).isTrue();
            assertThat(parsed.getDataPlanes(0).getAckedVersion()).isEqualTo(version);
        }
    }

    @Test
    void nackedVersionShowsAsLastNackErrorAndDataPlaneBehind() throws Exception {
        long first = apply("first");
        try (WatchClient dp = WatchClient.open(cp, "dp-eu-1", "eu", "")) {
            dp.ack(dp.next());
            awaitStatus("dp-eu-1", s -> s.getAckedVersion() == first);
            long second = apply("second");
            WatchResponse pushed = dp.next();
            assertThat(pushed.getVersionInfo()).isEqualTo(Long.toString(second));

            dp.nack(pushed, Long.toString(first), "snapshot has 3 routes, max is 2");
            awaitStatus("dp-eu-1", s -> !s.getLastNackError().isEmpty());
            CliRunner.Result table = cli.run("dataplanes");

            assertThat(table.exitCode()).as(table.toString()).isZero();
            String[] row = table.out().lines().skip(1).findFirst().orElseThrow().split("\\s{2,}");
            assertThat(row[0]).isEqualTo("dp-eu-1");
            assertThat(row[3]).isEqualTo(Long.toString(first));
            assertThat(row[5]).isEqualTo("1");
            assertThat(row[9]).isEqualTo("v" + second + ": snapshot has 3 routes, max is 2");
        }
    }

    @Test
    void wideAddsLabelsAndTheReplicaHoldingTheStream() throws Exception {
        long version = apply("labelled");
        Node node = Node.newBuilder().setId("dp-eu-7").setRegion("eu").setBuildVersion("test")
                .putLabels("tier", "canary").putLabels("az", "b").build();
        try (WatchClient dp = WatchClient.openSilent(cp.discoveryAs("dp-eu-7", "eu"))) {
            dp.send(WatchRequest.newBuilder().setNode(node).build());
            WatchResponse snapshot = dp.next();
            dp.send(WatchRequest.newBuilder().setNode(node).setVersionInfo(snapshot.getVersionInfo())
                    .setResponseNonce(snapshot.getNonce()).build());
            awaitStatus("dp-eu-7", s -> s.getAckedVersion() == version && s.getLabelsCount() == 2);

            CliRunner.Result narrow = cli.run("dataplanes");
            CliRunner.Result wide = cli.run("dataplanes", "--wide");
            CliRunner.Result json = cli.run("dataplanes", "-o", "json");

            assertThat(narrow.out()).doesNotContain("LABELS", "tier=canary");
            assertThat(wide.exitCode()).as(wide.toString()).isZero();
            assertThat(wide.out().lines().findFirst().orElseThrow().split("\\s{2,}")).containsExactly(
                    "ID", "REGION", "LABELS", "CONNECTED", "VERSION", "TARGET", "BEHIND", "ROLLOUT", "LAST SEEN",
                    "CERT EXPIRES", "CONTROL PLANE", "LAST NACK ERROR");
            String[] row = wide.out().lines().skip(1).findFirst().orElseThrow().split("\\s{2,}");
            assertThat(row[2]).isEqualTo("az=b,tier=canary"); // sorted by key
            assertThat(row[10]).isEqualTo(cp.replicaId());
            ListDataPlanesResponse parsed = ConfigCommandsTest.parse(json.out(), ListDataPlanesResponse.newBuilder());
            assertThat(parsed.getDataPlanes(0).getLabelsMap()).containsEntry("tier", "canary");
        }
    }

    private long apply(String name) {
        return cp.admin().apply(ApplyRequest.newBuilder()
                        .setConfig(ConfigFiles.parse(ConfigFiles.valid(name)))
                        .setAuthor("test").setMessage(name).build())
                .getVersion().getVersion();
    }

    private void awaitStatus(String id, java.util.function.Predicate<DataPlaneStatus> condition)
            throws InterruptedException {
        Await.until(id + " status", Duration.ofSeconds(10), () -> find(id).filter(condition).isPresent());
    }

    private Optional<DataPlaneStatus> find(String id) {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(s -> s.getId().equals(id))
                .findFirst();
    }
}
