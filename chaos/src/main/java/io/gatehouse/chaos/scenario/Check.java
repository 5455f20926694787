package io.gatehouse.chaos.scenario;

/**
 * One part of an expectation and what was observed, e.g. {@code ("0 failed /api requests", false, "3 failed")}.
 *
 * @param what     the expectation part
 * @param held     whether it held
 * @param observed     the number or message seen (goes into the table's notes)
 * @param precondition a condition of the measurement itself (e.g. a healthy baseline), not of the
 *                     expectation: when it fails, the scenario says nothing about Gatehouse
 */
public record Check(String what, boolean held, String observed, boolean precondition) {

    public static Check of(String what, boolean held, String observed) {
        return new Check(what, held, observed, false);
    }

    /** Observed, not judged (reported numbers such as time to first 200). */
    public static Check info(String what, String observed) {
        return new Check(what, true, observed, false);
    }

    /** A condition of the measurement (see {@link #precondition()}). */
    public static Check precondition(String what, boolean held, String observed) {
        return new Check(what, held, observed, true);
    }

    @Override
    public String toString() {
        return (held ? "" : "**FAILED** ") + what + ": " + observed;
    }
}
