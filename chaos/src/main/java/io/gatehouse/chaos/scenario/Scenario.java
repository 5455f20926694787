package io.gatehouse.chaos.scenario;

/**
 * One fault injected into the running fleet under load, with what the system is expected to show.
 * A scenario leaves the fleet healthy again (faults healed, processes running, both data planes on
 * the active version) so the next one starts clean; one that cannot, throws.
 */
public interface Scenario {

    /** Short name, the table's first column. */
    String name();

    /** The expectation from issue 14, in one line. */
    String expectation();

    ScenarioResult run(ScenarioContext context) throws Exception;

    /**
     * Whether short mode (CI) runs it. Scenarios that restart JVMs take 20-90 s each on the shared
     * 2-core box (the JVM start is the cost, not the scenario), more than short mode's budget.
     */
    default boolean inShortMode() {
        return true;
    }
}
