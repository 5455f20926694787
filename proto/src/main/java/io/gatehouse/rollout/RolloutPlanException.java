package io.gatehouse.rollout;

import java.util.List;

/** LOCAL STUB until the lead's parser lands in main (same API); replaced on merge. */
public final class RolloutPlanException extends Exception {
    private final List<String> problems;

    public RolloutPlanException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
