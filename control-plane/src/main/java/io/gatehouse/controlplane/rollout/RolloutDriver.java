package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.Database;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.proto.admin.v1.GateResult;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;
import io.gatehouse.rollout.RolloutPlan;
import io.gatehouse.rollout.RolloutPlanException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Moves the rollout in progress forward: ends the shadow step, starts waves, judges their gates,
 * fails, or succeeds. Exactly one replica drives at a time ({@link RolloutLease}); every decision
 * is written to PostgreSQL before it takes effect, so a replica taking over continues the same
 * wave with the same start time (the bake goes on, nothing restarts).
 *
 * <p>Each write is made on the locked row and only if the row is still what the decision was
 * based on (state, wave, revision), so an operator's pause or abort in between wins.
 *
 * <p>Threading: one daemon thread ticks every {@code tick}; {@link #close} stops it and frees the lease.
 */
public final class RolloutDriver implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RolloutDriver.class.getName());
    /** How often a replica without the lease tries to take it. */
    private static final Duration LEASE_RETRY = Duration.ofSeconds(1);
    /** Gate figures are written at most this often while a wave bakes (the final verdicts always). */
    private static final Duration GATE_WRITE_INTERVAL = Duration.ofSeconds(2);
    /** Reports untouched this long are deleted. */
    static final Duration REPORT_RETENTION = Duration.ofHours(1);
    private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(1);

    private final RolloutStore rollouts;
    private final LoadReportStore reports;
    private final DataPlaneStore dataPlanes;
    private final ConfigStore configs;
    private final RolloutLease lease;
    private final String replicaId;
    private final Duration tick;
    private final Map<Long, GateThresholds> thresholds = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile Thread thread;
    // Owned by the driver thread.
    private long nextLeaseTry;
    private long nextGateWrite;
    private long nextPrune;
    private volatile boolean leading;

    public RolloutDriver(Database database, RolloutStore rollouts, LoadReportStore reports, DataPlaneStore dataPlanes,
                         ConfigStore configs, String replicaId, Duration tick) {
        this.rollouts = rollouts;
        this.reports = reports;
        this.dataPlanes = dataPlanes;
        this.configs = configs;
        this.replicaId = replicaId;
        this.tick = tick;
        this.lease = new RolloutLease(database, "gatehouse-cp-rollouts-" + replicaId);
    }

    public RolloutDriver start() {
        thread = Thread.ofPlatform().daemon().name("gatehouse-rollout-driver").start(this::run);
        return this;
    }

    /** Whether this replica holds the lease (tests, status). */
    public boolean leading() {
        return leading;
    }

    private void run() {
        while (running) {
            try {
                long now = System.nanoTime();
                if (leading || now - nextLeaseTry >= 0) {
                    boolean was = leading;
                    leading = lease.holdOrAcquire();
                    nextLeaseTry = now + LEASE_RETRY.toNanos();
                    if (leading && !was) {
                        LOG.info("replica " + replicaId + " drives rollouts (holds the rollout lease)");
                    }
                }
                if (leading) {
                    drive();
                }
            } catch (RuntimeException e) { // StoreException included: the database may be back next tick
                LOG.log(Level.WARNING, "rollout driver tick failed; retrying: " + e.getMessage(), e);
            }
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One tick on the lease holder. */
    void drive() {
        long now = System.nanoTime();
        if (now - nextPrune >= 0) {
            nextPrune = now + PRUNE_INTERVAL.toNanos();
            int deleted = reports.prune(REPORT_RETENTION);
            if (deleted > 0) {
                LOG.fine(() -> "deleted " + deleted + " stale load/shadow report(s)");
            }
        }
        Optional<RolloutRow> open = rollouts.open();
        // One rollout is open at a time: keep only its thresholds.
        thresholds.keySet().retainAll(open.map(r -> Set.of(r.id())).orElse(Set.of()));
        if (open.isEmpty()) {
            return;
        }
        RolloutRow row = open.get();
        if (!row.rollout().getDriver().equals(replicaId)) {
            row = write(row, r -> Optional.of(RolloutStore.Transition.bookkeeping(
                    r.rollout().toBuilder().setDriver(replicaId).build()))).orElse(row);
            LOG.info("replica " + replicaId + " continues rollout " + row.id() + " at step "
                    + row.rollout().getCurrentWave());
        }
        switch (row.state()) {
            case SHADOW -> shadowStep(row);
            case IN_PROGRESS -> waveStep(row);
            default -> { } // PAUSED: nothing advances
        }
    }

    private void shadowStep(RolloutRow row) {
        Rollout r = row.rollout();
        WaveStatus wave = row.currentWave().orElseThrow();
        List<RouteShadow> totals = reports.shadowTotals(r.getId());
        Optional<String> unexpected = ShadowSums.unexpected(totals, Set.copyOf(r.getExpectChangesList()));
        if (unexpected.isPresent()) {
            fail(row, "shadow step: " + unexpected.get(), GateResult.newBuilder().setPassed(false)
                    .setDetail(unexpected.get()).build());
            return;
        }
        if (elapsed(wave)) {
            long sampled = totals.stream().mapToLong(RouteShadow::getSampled).sum();
            if (sampled == 0 && r.getExpectChangesCount() > 0) {
                // The operator asked for a check and nothing was compared: no evidence is not a pass
                // (data planes without traffic, or too old to evaluate a shadow). Nothing ran the
                // candidate yet, so failing here costs nothing but a second try.
                String detail = "no data plane reported a sampled request, so the expected changes "
                        + r.getExpectChangesList() + " could not be checked; apply again with a longer shadow step"
                        + " or without --expect-changes";
                fail(row, "shadow step: " + detail, GateResult.newBuilder().setPassed(false).setDetail(detail).build());
                return;
            }
            String detail = sampled == 0 ? "no data plane reported a sampled request: nothing was compared"
                    : r.getExpectChangesCount() == 0 ? sampled + " sampled requests compared; differences shown, none required"
                    : sampled + " sampled requests compared; only " + r.getExpectChangesList() + " decided differently";
            Rollout.Builder next = r.toBuilder();
            next.setWaves(wave.getIndex(), wave.toBuilder().setState(RolloutRow.PASSED)
                    .setGate(GateResult.newBuilder().setPassed(true).setDetail(detail)));
            startWave(row, next, wave.getIndex() + 1);
        }
    }

    private void waveStep(RolloutRow row) {
        Rollout r = row.rollout();
        WaveStatus wave = row.currentWave().orElseThrow();
        if (wave.getState().equals(RolloutRow.PENDING)) {
            startWave(row, r.toBuilder(), wave.getIndex());
            return;
        }
        Set<String> rolloutNodes = row.candidateNodes();
        List<DataPlaneRecord> fleet = dataPlanes.list();
        long nacks = fleet.stream().filter(d -> rolloutNodes.contains(d.id())
                && d.lastNackVersion() == r.getToVersion()).count();
        TrafficFigures candidate = reports.window(r.getId(), wave.getIndex(), r.getToVersion(), rolloutNodes::contains)
                .delta();
        TrafficFigures baseline = reports.window(r.getId(), wave.getIndex(), r.getFromVersion(),
                n -> !rolloutNodes.contains(n)).delta();
        if (baseline.requests() == 0) {
            // Nobody else serves the active version: the rollout nodes' own figures before the wave.
            baseline = reports.window(r.getId(), wave.getIndex(), r.getFromVersion(), rolloutNodes::contains).before();
        }
        GateJudge.Verdict verdict = GateJudge.judge(candidate, baseline, nacks, r.getToVersion(), r.getFromVersion(),
                thresholds(r));
        if (verdict.failed()) {
            fail(row, wave.getName() + " (" + wave.getSelector() + "): " + verdict.result().getDetail(),
                    verdict.result());
            return;
        }
        List<String> waiting = fleet.stream().filter(d -> wave.getNodesList().contains(d.id()) && d.connected()
                && d.ackedVersion() != r.getToVersion()).map(DataPlaneRecord::id).toList();
        if (elapsed(wave) && waiting.isEmpty()) {
            GateResult gate = verdict.result();
            Rollout.Builder next = r.toBuilder();
            next.setWaves(wave.getIndex(), wave.toBuilder().setState(RolloutRow.PASSED).setGate(gate));
            if (wave.getIndex() + 1 >= r.getWavesCount()) {
                next.setState(RolloutState.SUCCEEDED).setReason("");
                write(row, guard(row, new RolloutStore.Transition(next.build(), true, "rollout.succeed",
                        principal(), "every wave passed")));
                LOG.info("rollout " + r.getId() + " succeeded: version " + r.getToVersion() + " is active");
            } else {
                startWave(row, next, wave.getIndex() + 1);
            }
            return;
        }
        long now = System.nanoTime();
        if (now - nextGateWrite >= 0) {
            nextGateWrite = now + GATE_WRITE_INTERVAL.toNanos();
            String detail = verdict.result().getDetail() + (waiting.isEmpty() ? "" : "; waiting for ACKs from " + waiting)
                    + (elapsed(wave) ? "" : "; baking");
            Rollout.Builder next = r.toBuilder();
            next.setWaves(wave.getIndex(), wave.toBuilder().setGate(verdict.result().toBuilder().setDetail(detail)));
            write(row, guard(row, RolloutStore.Transition.bookkeeping(next.build())));
        }
    }

    /** Picks the nodes of step {@code index}, records them with the start time, and re-targets every replica. */
    private void startWave(RolloutRow row, Rollout.Builder next, int index) {
        Rollout r = row.rollout();
        if (index >= r.getWavesCount()) {
            next.setState(RolloutState.SUCCEEDED);
            write(row, guard(row, new RolloutStore.Transition(next.build(), true, "rollout.succeed", principal(),
                    "every wave passed")));
            return;
        }
        RolloutPlan.Selector selector = selector(r, index);
        List<WavePlanner.FleetNode> fleet = dataPlanes.list().stream()
                .map(d -> new WavePlanner.FleetNode(d.id(), d.region(), d.labels())).toList();
        List<String> nodes = WavePlanner.pick(selector, r.getId(), fleet, row.candidateNodes());
        // The window's start: counters as they are now (before any wave node runs the candidate).
        reports.mark(r.getId(), index, r.getFromVersion(), r.getToVersion());
        WaveStatus wave = next.getWaves(index).toBuilder().setState(RolloutRow.BAKING).clearNodes().addAllNodes(nodes)
                .setStartedAt(RolloutStore.timestamp(Instant.now())).clearGate().build();
        next.setWaves(index, wave).setCurrentWave(index).setState(RolloutState.IN_PROGRESS);
        write(row, guard(row, new RolloutStore.Transition(next.build(), true, "", "", "")));
        LOG.info("rollout " + r.getId() + ": " + wave.getName() + " (" + wave.getSelector() + ") sends version "
                + r.getToVersion() + " to " + nodes);
    }

    private void fail(RolloutRow row, String reason, GateResult gate) {
        Rollout r = row.rollout();
        Rollout.Builder next = r.toBuilder().setState(RolloutState.FAILED).setReason(reason);
        row.currentWave().ifPresent(w -> next.setWaves(w.getIndex(), w.toBuilder().setState(RolloutRow.FAILED)
                .setGate(gate)));
        write(row, guard(row, new RolloutStore.Transition(next.build(), true, "rollout.fail", principal(), reason)));
        LOG.warning("rollout " + r.getId() + " of version " + r.getToVersion() + " failed, every data plane goes back to "
                + r.getFromVersion() + ": " + reason);
    }

    /** Writes only if the row still has the state, step and revision the decision was made on. */
    private static RolloutStore.Change guard(RolloutRow seen, RolloutStore.Transition transition) {
        return current -> current.revision() == seen.revision() && current.state() == seen.state()
                && current.rollout().getCurrentWave() == seen.rollout().getCurrentWave()
                ? Optional.of(transition) : Optional.empty();
    }

    private Optional<RolloutRow> write(RolloutRow row, RolloutStore.Change change) {
        return rollouts.change(row.id(), change);
    }

    private String principal() {
        return "control-plane " + replicaId;
    }

    private static boolean elapsed(WaveStatus wave) {
        Instant started = RolloutStore.instant(wave.getStartedAt());
        Duration bake = Duration.ofSeconds(wave.getBake().getSeconds(), wave.getBake().getNanos());
        return !Instant.now().isBefore(started.plus(bake));
    }

    private static RolloutPlan.Selector selector(Rollout r, int index) {
        try {
            return RolloutPlan.parse(r.getPlan()).steps().get(index).selector();
        } catch (RolloutPlanException | IndexOutOfBoundsException e) {
            // The plan was stored in canonical form by this code; it must parse.
            throw new IllegalStateException("rollout " + r.getId() + " has an unreadable plan '" + r.getPlan() + "'", e);
        }
    }

    /** The candidate config's settings.rollout, read once per rollout. */
    private GateThresholds thresholds(Rollout r) {
        return thresholds.computeIfAbsent(r.getId(), id -> {
            try {
                return GateThresholds.of(configs.getVersion(r.getToVersion()).config().getSettings().getRollout());
            } catch (VersionNotFoundException e) {
                throw new IllegalStateException("rollout " + id + " names a missing version", e);
            }
        });
    }

    /** Stops driving and frees the lease (another replica takes over within its retry interval). */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (leading) {
            // Say nobody drives until another replica takes the lease (it writes its own name).
            try {
                rollouts.open().ifPresent(row -> rollouts.change(row.id(), r -> r.rollout().getDriver().equals(replicaId)
                        ? Optional.of(RolloutStore.Transition.bookkeeping(r.rollout().toBuilder().setDriver("").build()))
                        : Optional.empty()));
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "clearing the rollout's driver failed", e);
            }
        }
        leading = false;
        lease.close();
    }
}
