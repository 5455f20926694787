package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsResponse;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutAction;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.rollout.RolloutPlan;
import io.gatehouse.rollout.RolloutPlanException;
import io.grpc.Status;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The rollout half of the admin API: which plan an apply or rollback takes, and GetRollout,
 * ListRollouts and ControlRollout. Operator actions are made on the locked row, so they cannot
 * race the driver's own decisions. Thread-safe.
 */
public final class RolloutAdmin {

    private static final Logger LOG = Logger.getLogger(RolloutAdmin.class.getName());
    /** The shadow step put in front of a plan without one when changes are expected. */
    static final Duration DEFAULT_SHADOW = Duration.ofSeconds(30);
    static final int MAX_EXPECTED_ROUTES = 100;
    static final int MAX_ROUTE_ID_CHARS = 256;
    private static final int MAX_REASON_CHARS = 1000;
    private static final int DEFAULT_LIMIT = 20;
    private static final int MAX_LIMIT = 1000;

    private final RolloutStore rollouts;
    private final LoadReportStore reports;

    public RolloutAdmin(RolloutStore rollouts, LoadReportStore reports) {
        this.rollouts = rollouts;
        this.reports = reports;
    }

    /**
     * How an apply or rollback delivers: {@link #plan} empty = all at once (today's behaviour);
     * {@link #problems} non-empty = refuse (path "rollout").
     */
    public record Delivery(Optional<RolloutPlan> plan, List<String> expectChanges, List<String> problems) {
    }

    /**
     * The plan of a request: its own, else the new config's settings.rollout.default_plan, else
     * all at once. Expected changes need a shadow step; one of 30 s is added when the plan has none.
     */
    public static Delivery delivery(String requested, List<String> expectChanges, GatewayConfig newConfig) {
        String spec = requested.isBlank() ? newConfig.getSettings().getRollout().getDefaultPlan() : requested;
        List<String> problems = new java.util.ArrayList<>();
        if (expectChanges.size() > MAX_EXPECTED_ROUTES) {
            problems.add("expect_changes: at most " + MAX_EXPECTED_ROUTES + " routes (got " + expectChanges.size() + ")");
        }
        for (String route : expectChanges) {
            if (route.isBlank() || route.length() > MAX_ROUTE_ID_CHARS) {
                problems.add("expect_changes: route ids are 1-" + MAX_ROUTE_ID_CHARS + " characters");
                break;
            }
        }
        RolloutPlan plan = RolloutPlan.allAtOnce();
        if (!spec.isBlank()) {
            try {
                plan = RolloutPlan.parse(spec);
            } catch (RolloutPlanException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            return new Delivery(Optional.empty(), List.of(), List.copyOf(problems));
        }
        List<String> expected = expectChanges.stream().map(String::strip).distinct().toList();
        if (!expected.isEmpty()) {
            plan = plan.withShadow(DEFAULT_SHADOW);
        }
        return new Delivery(plan.isAllAtOnce() ? Optional.empty() : Optional.of(plan), expected, List.of());
    }

    /** What stores the rollout of a staged version, inside the transaction that staged it. */
    public static ConfigStore.Stager stager(RolloutPlan plan, List<String> expectChanges, String author, String message) {
        return (connection, from, staged) ->
                RolloutStore.create(connection, from, staged.version(), plan, expectChanges, author, message);
    }

    /** The rollout with its shadow sums; id 0 = the one in progress, else the newest. */
    public Rollout get(GetRolloutRequest request) {
        Optional<RolloutRow> row = request.getId() == 0
                ? rollouts.open().or(rollouts::newest) : rollouts.get(request.getId());
        return withShadow(row.orElseThrow(() -> Status.NOT_FOUND.withDescription(request.getId() == 0
                ? "no rollout yet" : "no rollout " + request.getId()).asRuntimeException()));
    }

    /** The rollout in progress, for ListDataPlanes. */
    public Optional<RolloutRow> open() {
        return rollouts.open();
    }

    public Rollout withShadow(RolloutRow row) {
        return row.rollout().toBuilder().addAllShadow(reports.shadowTotals(row.id())).build();
    }

    public ListRolloutsResponse list(ListRolloutsRequest request) {
        if (request.getLimit() < 0) {
            throw Status.INVALID_ARGUMENT.withDescription("limit must not be negative").asRuntimeException();
        }
        int limit = request.getLimit() == 0 ? DEFAULT_LIMIT : Math.min(request.getLimit(), MAX_LIMIT);
        ListRolloutsResponse.Builder response = ListRolloutsResponse.newBuilder();
        rollouts.list(limit).forEach(row -> response.addRollouts(row.rollout()));
        return response.build();
    }

    /** Pause, resume, promote or abort, recorded in the audit log as {@code principal}. */
    public Rollout control(ControlRolloutRequest request, String principal) {
        if (request.getReason().length() > MAX_REASON_CHARS) {
            throw Status.INVALID_ARGUMENT.withDescription("reason: at most " + MAX_REASON_CHARS + " characters")
                    .asRuntimeException();
        }
        RolloutAction action = request.getAction();
        if (action == RolloutAction.ROLLOUT_ACTION_UNSPECIFIED || action == RolloutAction.UNRECOGNIZED) {
            throw Status.INVALID_ARGUMENT.withDescription("action: one of PAUSE, RESUME, PROMOTE, ABORT")
                    .asRuntimeException();
        }
        long id = request.getId() != 0 ? request.getId() : rollouts.open().map(RolloutRow::id).orElseThrow(() ->
                Status.NOT_FOUND.withDescription("no rollout in progress").asRuntimeException());
        String reason = request.getReason().strip();
        RolloutRow row = rollouts.change(id, current -> decide(current, action, principal, reason))
                .orElseThrow(() -> Status.NOT_FOUND.withDescription("no rollout " + id).asRuntimeException());
        LOG.info(() -> "rollout " + id + ": " + action + " by " + io.gatehouse.observability.logging.LogText.escaped(principal)
                + ", now " + row.state());
        return withShadow(row);
    }

    private static Optional<RolloutStore.Transition> decide(RolloutRow current, RolloutAction action, String principal,
                                                             String reason) {
        if (!current.open()) {
            throw Status.FAILED_PRECONDITION.withDescription("rollout " + current.id() + " has ended ("
                    + current.state() + ")").asRuntimeException();
        }
        Rollout r = current.rollout();
        String said = reason.isEmpty() ? "" : ": " + reason;
        return switch (action) {
            case PAUSE -> current.state() == RolloutState.PAUSED ? Optional.empty() : Optional.of(transition(
                    r.toBuilder().setState(RolloutState.PAUSED).setReason("paused by " + principal + said),
                    "rollout.pause", principal, reason));
            case RESUME -> current.state() != RolloutState.PAUSED ? Optional.empty() : Optional.of(transition(
                    resumed(current), "rollout.resume", principal, reason));
            case PROMOTE -> Optional.of(transition(r.toBuilder().setState(RolloutState.SUCCEEDED)
                    .setReason("promoted by " + principal + said), "rollout.promote", principal, reason));
            case ABORT -> Optional.of(transition(r.toBuilder().setState(RolloutState.ABORTED)
                    .setReason("aborted by " + principal + said), "rollout.abort", principal, reason));
            default -> throw new IllegalArgumentException(action.toString());
        };
    }

    /**
     * Back to the state the current step was in; the step's start moves forward by the time it was
     * paused (the row's last update was the pause), so a pause does not eat into the bake.
     */
    private static Rollout.Builder resumed(RolloutRow current) {
        Rollout r = current.rollout();
        Rollout.Builder next = r.toBuilder().setReason("");
        Optional<WaveStatus> wave = current.currentWave();
        next.setState(wave.map(w -> w.getState().equals(RolloutRow.SHADOWING)).orElse(false)
                ? RolloutState.SHADOW : RolloutState.IN_PROGRESS);
        if (wave.isPresent() && wave.get().hasStartedAt()) {
            Duration paused = Duration.between(RolloutStore.instant(r.getUpdatedAt()), java.time.Instant.now());
            if (!paused.isNegative()) {
                next.setWaves(wave.get().getIndex(), wave.get().toBuilder().setStartedAt(RolloutStore.timestamp(
                        RolloutStore.instant(wave.get().getStartedAt()).plus(paused))));
            }
        }
        return next;
    }

    private static RolloutStore.Transition transition(Rollout.Builder next, String audit, String principal,
                                                      String reason) {
        return new RolloutStore.Transition(next.build(), true, audit, principal, reason);
    }
}
