package io.gatehouse.chaos.scenario;

/**
 * One part of an expectation and what was observed, e.g. {@code ("0 failed /api requests", false, "3 failed")}.
 *
 * @param what     the expectation part
 * @param held     whether it held
 * @param observed the number or message seen (goes into the table's notes)
 */
public record Check(String what, boolean held, String observed) {

    public static Check of(String what, boolean held, String observed) {
        return new Check(what, held, observed);
    }

    /** Observed, not judged (reported numbers such as time to first 200). */
    public static Check info(String what, String observed) {
        return new Check(what, true, observed);
    }

    @Override
    public String toString() {
        return (held ? "" : "**FAILED** ") + what + ": " + observed;
    }
}
