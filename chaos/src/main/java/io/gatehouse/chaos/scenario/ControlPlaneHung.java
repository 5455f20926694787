package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.fleet.ControlPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The replica holding the data planes' watch streams is hung with SIGSTOP: its sockets stay open, the
 * kernel still accepts connections, nothing answers. The data planes must notice (gRPC keepalive:
 * ping every 30 s, 10 s timeout) and reconnect to the other replica, then the first one is thawed.
 * In short mode the hang is shorter than the keepalive, so only "0 failed" is judged.
 */
public final class ControlPlaneHung extends FaultScenario {

    /** keepalive 30 s + timeout 10 s + backoff cap 10 s + slack. */
    private static final Duration DETECTION_BOUND = Duration.ofSeconds(55);
    private ControlPlaneNode hung;
    private Set<String> victims = Set.of();

    @Override
    public String name() {
        return "one CP replica hung (SIGSTOP)";
    }

    @Override
    public String expectation() {
        return "DPs on it notice within a bounded time (keepalive) and reconnect to the other replica; 0 failed";
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        // A CLI call can miss its 2 s deadline on a loaded machine; ask until the view arrives.
        List<Fleet.DataPlaneView> view = Await.value("the fleet view", Duration.ofSeconds(30), () -> fleet.fleetView(fleet.cli()));
        // Hang the replica holding the most streams, so the fault hits data planes.
        hung = fleet.controlPlanes().stream().max(java.util.Comparator.comparingLong(cp -> view.stream()
                .filter(v -> v.connected() && v.controlPlaneId().equals(cp.replicaId())).count())).orElseThrow();
        victims = view.stream().filter(v -> v.controlPlaneId().equals(hung.replicaId())).map(Fleet.DataPlaneView::id)
                .collect(Collectors.toSet());
        checks.add(Check.info("hung replica", hung.replicaId() + " holding " + victims));
        hung.process().freeze();
    }

    @Override
    protected void hold(ScenarioContext context, List<Check> checks) {
        if (!context.mode().full()) {
            context.sleep(context.mode().fault());
            checks.add(Check.info("reconnect to the other replica", "not measured in short mode (hang shorter than keepalive)"));
            return;
        }
        Fleet fleet = context.fleet();
        ControlPlaneNode other = fleet.controlPlanes().stream().filter(cp -> cp != hung).findFirst().orElseThrow();
        Optional<Duration> moved = Await.until(Duration.ofSeconds(90), () -> fleet.fleetView(fleet.cliOn(other))
                .map(views -> views.stream().filter(v -> victims.contains(v.id()))
                        .allMatch(v -> v.connected() && v.controlPlaneId().equals(other.replicaId())))
                .orElse(false));
        checks.add(Checks.recoveredWithin(moved, DETECTION_BOUND,
                "DPs " + victims + " reconnected to " + other.replicaId() + " (from SIGSTOP)"));
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        hung.process().thaw();
    }

    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> context.fleet().fleetViewCorrect();
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        checks.add(Check.info("fleet view correct after SIGCONT", recovery.map(d -> d.toMillis() + " ms").orElse("not within 60 s")));
    }
}
