package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fault.Fault;
import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;
import io.gatehouse.chaos.load.OpenLoopLoad;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The upstream of /flaky made slow (+2 s, over the route's 1 s timeout), blackholed or resetting,
 * while /api (another upstream) carries the main load. Timeouts and the breaker (5 failures, open
 * 2 s) must contain it: /api's p99 unaffected and no /api failures; the breaker opens during the
 * fault and closes after it.
 */
public final class UpstreamFault extends FaultScenario {

    /** "Unaffected": p99 during at most twice the baseline's plus 10 ms (a shared 2-core machine). */
    private static final double P99_FACTOR = 2;
    private static final double P99_SLACK_MS = 10;

    /** What happens to the upstream. */
    public enum Kind { SLOW, BLACKHOLE, RESET }

    private final Kind kind;
    private double opensBefore;
    private double opensDuring;

    public UpstreamFault(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return switch (kind) {
            case SLOW -> "upstream slow (+2 s)";
            case BLACKHOLE -> "upstream blackholed";
            case RESET -> "upstream resetting";
        };
    }

    @Override
    public String expectation() {
        return "other routes' p99 unaffected, 0 failed on them; the breaker opens and closes as configured";
    }

    @Override
    protected List<OpenLoopLoad> loads(ScenarioContext context) {
        return List.of(context.apiLoad(),
                context.load("flaky", "/flaky/items", ScenarioContext.FLAKY_RATE, context.fleet().dataPlanes()));
    }

    @Override
    protected boolean expectsFailures(String stream) {
        return stream.equals("flaky");
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) {
        opensBefore = opens(context.fleet());
        context.fleet().flakyProxy().fault(switch (kind) {
            case SLOW -> Fault.latency(Duration.ofSeconds(2));
            case BLACKHOLE -> Fault.blackhole();
            case RESET -> Fault.reset();
        });
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) {
        opensDuring = opens(context.fleet()) - opensBefore;
        context.fleet().flakyProxy().heal();
    }

    /** Recovered: /flaky's breaker is closed again on both data planes. */
    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> context.fleet().dataPlanes().stream().allMatch(dp ->
                dp.metric("gatehouse_circuit_breaker_state", "upstream=\"flaky\"", "state=\"closed\"") == 1);
    }

    @Override
    protected Duration recoveryTimeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        StreamResult api = streams.get(0);
        StreamResult flaky = streams.get(1);
        checks.add(Checks.noFailures(api));
        double baseline = api.before().percentileMillis(99);
        checks.add(Checks.p99DuringAtMost(api, baseline * P99_FACTOR + P99_SLACK_MS,
                "2x baseline " + Checks.fmt(baseline) + " ms + 10 ms"));
        checks.add(Check.of("breaker on flaky opened during the fault", opensDuring > 0,
                String.format("%.0f open transitions; flaky failures %s", opensDuring, flaky.failures())));
        checks.add(Checks.recoveredWithin(recovery, Duration.ofSeconds(10),
                "breaker closed again on both DPs (open 2 s, then half-open probes)"));
    }

    private static double opens(Fleet fleet) {
        double sum = 0;
        for (DataPlaneNode dp : fleet.dataPlanes()) {
            sum += dp.metric("gatehouse_circuit_breaker_transitions_total", "upstream=\"flaky\"", "state=\"open\"");
        }
        return sum;
    }
}
