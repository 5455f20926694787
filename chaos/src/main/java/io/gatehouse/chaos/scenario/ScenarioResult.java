package io.gatehouse.chaos.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a scenario measured and whether its expectation held.
 *
 * @param recovery from healing the fault until the scenario's recovery condition held (empty = not
 *                 measured, or never within the wait)
 * @param checks   every part of the expectation, with what was observed
 */
public record ScenarioResult(String scenario, String expectation, List<StreamResult> streams,
                             Optional<Duration> recovery, Verdict verdict, List<Check> checks) {

    /** INCONCLUSIVE when a precondition failed, else PASS when every check held, else FAIL. */
    public static ScenarioResult judged(Scenario scenario, List<StreamResult> streams, Optional<Duration> recovery,
                                        List<Check> checks) {
        Verdict verdict = checks.stream().anyMatch(c -> c.precondition() && !c.held()) ? Verdict.INCONCLUSIVE
                : checks.stream().allMatch(Check::held) ? Verdict.PASS : Verdict.FAIL;
        return new ScenarioResult(scenario.name(), scenario.expectation(), List.copyOf(streams), recovery, verdict,
                List.copyOf(checks));
    }

    public static ScenarioResult skipped(Scenario scenario, String why) {
        return new ScenarioResult(scenario.name(), scenario.expectation(), List.of(), Optional.empty(), Verdict.SKIPPED,
                List.of(Check.info("skipped", why)));
    }

    public static ScenarioResult error(Scenario scenario, Throwable e) {
        return new ScenarioResult(scenario.name(), scenario.expectation(), List.of(), Optional.empty(), Verdict.ERROR,
                List.of(Check.of("harness", false, e.getClass().getSimpleName() + ": " + e.getMessage())));
    }
}
