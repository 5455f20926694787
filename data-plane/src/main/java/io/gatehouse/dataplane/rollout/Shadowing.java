package io.gatehouse.dataplane.rollout;

import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;

import java.util.Optional;

/**
 * Shadow evaluation of a rollout's candidate config (discovery.proto, {@code Shadow}): the seam
 * between the watch client, which learns of a shadow request with each response, the load
 * reporter, which sends what the evaluation found, and the evaluator, which compiles the candidate
 * beside the active snapshot and compares decisions on a sample of live requests.
 */
public interface Shadowing {

    /** No shadow evaluation, ever (data planes without one, tests). */
    Shadowing NONE = new Shadowing() {
        @Override
        public void update(Shadow shadow) {
        }

        @Override
        public Optional<ShadowLoad> report() {
            return Optional.empty();
        }
    };

    /**
     * Called by the watch client with the {@code shadow} of every response it applied, or null when
     * the response had none: start, replace (another rollout or candidate) or stop evaluating.
     * Must not block for long: compile work belongs on the evaluator's own thread.
     */
    void update(Shadow shadow);

    /** What the evaluation in progress found, cumulative since it started; empty when none runs. */
    Optional<ShadowLoad> report();
}
