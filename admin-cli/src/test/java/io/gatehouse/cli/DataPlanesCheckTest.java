package io.gatehouse.cli;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse dataplanes --check} against a real control plane, data planes played by raw gRPC
 * watch clients: exit 0 while every data plane runs the active version, exit 4 (with the reason)
 * once one has been behind or disconnected for longer than {@code --max-drift}.
 */
class DataPlanesCheckTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final RunningControlPlane cp = RunningControlPlane.on(db);
    private CliRunner cli;

    @BeforeEach
    void connectCli() {
        cli = CliRunner.against(cp.target());
    }

    @Test
    void passesWhileEveryDataPlaneRunsTheActiveVersion() throws Exception {
        long version = apply("first");
        try (WatchClient dp = WatchClient.open(cp, "dp-ok", "us", "")) {
            dp.ack(dp.next());
            awaitStatus("dp-ok", s -> s.getAckedVersion() == version && !s.hasBehindSince());

            CliRunner.Result result = cli.run("dataplanes", "--check", "--max-drift", "1ms");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.out()).contains("check passed: 1 data plane(s)");
        }
    }

    @Test
    void failsWithExitFourWhenADataPlaneStaysBehindLongerThanMaxDrift() throws Exception {
        long first = apply("first");
        try (WatchClient dp = WatchClient.open(cp, "dp-late", "eu", "")) {
            dp.ack(dp.next());
            awaitStatus("dp-late", s -> s.getAckedVersion() == first);
            long second = apply("second");
            WatchResponse pushed = dp.next();
            dp.nack(pushed, Long.toString(first), "snapshot has 3 routes, max is 2");
            awaitStatus("dp-late", s -> !s.getLastNackError().isEmpty() && s.hasBehindSince());

            // Generous threshold: behind, but not for long enough yet.
            assertThat(cli.run("dataplanes", "--check", "--max-drift", "1h").exitCode()).isZero();
            AtomicReference<CliRunner.Result> check = new AtomicReference<>();
            Await.until("check fails", Duration.ofSeconds(10), () -> {
                check.set(cli.run("dataplanes", "--check", "--max-drift", "200ms"));
                return check.get().exitCode() == ExitCodes.DRIFT;
            });

            assertThat(check.get().err()).contains("data plane dp-late runs version " + first,
                    "1 behind active version " + second, "longer than --max-drift",
                    "it rejected v" + second + ": snapshot has 3 routes, max is 2");
            assertThat(check.get().out()).contains("dp-late"); // the table is still printed
        }
    }

    @Test
    void failsWhenADataPlaneIsDisconnectedLongerThanMaxDrift() throws Exception {
        apply("first");
        try (WatchClient dp = WatchClient.open(cp, "dp-gone", "us", "")) {
            dp.ack(dp.next());
            awaitStatus("dp-gone", DataPlaneStatus::getConnected);
        }
        awaitStatus("dp-gone", s -> !s.getConnected() && s.hasDisconnectedAt());
        AtomicReference<CliRunner.Result> check = new AtomicReference<>();
        Await.until("check fails", Duration.ofSeconds(10), () -> {
            check.set(cli.run("dataplanes", "--check", "--max-drift", "200ms"));
            return check.get().exitCode() == ExitCodes.DRIFT;
        });

        assertThat(check.get().err()).contains("data plane dp-gone disconnected for");
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
