package io.gatehouse.cli;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.testing.Await;
import io.grpc.ManagedChannel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse dataplanes} and {@code dataplanes prune} on the trust side: certificate expiry as
 * the control plane read it from each data plane's TLS session, and forgetting data planes gone
 * for longer than a threshold.
 */
class DataPlanesTrustTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);
    private CliRunner cli;

    @BeforeEach
    void connectCli() {
        cli = CliRunner.against(cp.target());
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(ConfigFiles.parse(ConfigFiles.valid("trust")))
                .setAuthor("test").setMessage("trust").build());
    }

    @Test
    void warnsAboutADataPlaneCertificateExpiringWithinTwoWeeks() throws Exception {
        Instant now = Instant.now();
        TlsFiles soon = TestPki.shared().fresh(SpiffeId.dataPlane("us", "dp-soon"), now.minus(Duration.ofDays(80)),
                now.plus(Duration.ofDays(9)).plus(Duration.ofHours(1)));
        ManagedChannel channel = cp.newChannel(soon);
        try (WatchClient dp = WatchClient.open(DiscoveryServiceGrpc.newStub(channel), "dp-soon", "us", "");
             WatchClient fine = WatchClient.open(cp, "dp-fine", "us", "")) {
            dp.ack(dp.next());
            fine.ack(fine.next());
            Await.until("both listed", Duration.ofSeconds(10), () -> find("dp-soon").isPresent() && find("dp-fine").isPresent());

            CliRunner.Result result = cli.run("dataplanes");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.out()).containsPattern("dp-soon .* in 9 days");
            assertThat(result.err()).contains("warning: the certificate of data plane dp-soon"
                    + " (spiffe://gatehouse/dp/us/dp-soon) expires").contains("in 9 days")
                    .contains("gatehouse certs issue data-plane").doesNotContain("dp-fine");
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void pruneForgetsDataPlanesDisconnectedLongerThanTheThresholdButNotConnectedOnes() throws Exception {
        try (WatchClient stays = WatchClient.open(cp, "dp-stays", "us", "")) {
            stays.ack(stays.next());
            try (WatchClient gone = WatchClient.open(cp, "dp-gone", "eu", "")) {
                gone.ack(gone.next());
                Await.until("connected", Duration.ofSeconds(10), () -> find("dp-gone").map(DataPlaneStatus::getConnected)
                        .orElse(false));
            }
            Await.until("disconnected", Duration.ofSeconds(10), () -> find("dp-gone").map(s -> !s.getConnected())
                    .orElse(false));

            CliRunner.Result keep = cli.run("dataplanes", "prune");
            assertThat(keep.exitCode()).as(keep.toString()).isZero();
            assertThat(keep.out()).contains("no data plane disconnected for longer than 24h");

            AtomicReference<CliRunner.Result> dryRun = new AtomicReference<>();
            Await.until("dp-gone is older than 200ms", Duration.ofSeconds(10), () -> {
                dryRun.set(cli.run("dataplanes", "prune", "--older-than", "200ms", "--dry-run"));
                return dryRun.get().out().contains("dp-gone");
            });
            assertThat(dryRun.get().out()).startsWith("would remove 1 data plane(s)").doesNotContain("dp-stays");
            assertThat(find("dp-gone")).isPresent();

            CliRunner.Result pruned = cli.run("dataplanes", "prune", "--older-than", "200ms");

            assertThat(pruned.out()).contains("removed 1 data plane(s)").contains("dp-gone");
            assertThat(find("dp-gone")).isEmpty();
            assertThat(find("dp-stays")).isPresent();
        }
    }

    private Optional<DataPlaneStatus> find(String id) {
        return cp.admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance()).getDataPlanesList().stream()
                .filter(s -> s.getId().equals(id)).findFirst();
    }
}
