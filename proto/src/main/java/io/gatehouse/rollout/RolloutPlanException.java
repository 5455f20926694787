package io.gatehouse.rollout;

import java.util.List;

/** A rollout plan that cannot be used, with every problem found in it (not just the first). */
public final class RolloutPlanException extends Exception {

    private final List<String> problems;

    public RolloutPlanException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem as a sentence naming the step it is about, in the order of the plan. */
    public List<String> problems() {
        return problems;
    }
}
