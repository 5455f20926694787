package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * One shadow evaluation: a rollout's candidate, from the moment a {@code Shadow} names it until the
 * next one names another or none. Holds the compiled candidate (once compiled), the sample ratio,
 * the counts, and the inert compile of the config in force the evaluator compares it with.
 * Thread-safe: fields are volatile or guarded as noted.
 */
final class ShadowRun {

    private final long rolloutId;
    private final Snapshot candidateSnapshot;
    private volatile double ratio;
    private volatile CompiledSnapshot candidate;
    private volatile String failure;
    private final ShadowTally tally = new ShadowTally();
    /** Sampled requests not evaluated: the queue was full (the CPU bound holds). */
    private final LongAdder dropped = new LongAdder();
    /** The served snapshot and its inert compile; evaluator thread only. */
    private CompiledSnapshot served;
    private CompiledSnapshot servedInert;

    ShadowRun(Shadow shadow) {
        this.rolloutId = shadow.getRolloutId();
        this.candidateSnapshot = shadow.getSnapshot();
        this.ratio = shadow.getSampleRatio();
    }

    /** Whether {@code shadow} asks for this very evaluation (same rollout, same candidate content). */
    boolean sameAs(Shadow shadow) {
        Snapshot other = shadow.getSnapshot();
        return shadow.getRolloutId() == rolloutId && other.getVersion() == candidateSnapshot.getVersion()
                && other.getKeysRevision() == candidateSnapshot.getKeysRevision()
                && other.getSha256().equals(candidateSnapshot.getSha256());
    }

    Snapshot candidateSnapshot() {
        return candidateSnapshot;
    }

    double ratio() {
        return ratio;
    }

    void ratio(double ratio) {
        this.ratio = ratio;
    }

    /** The compiled candidate; null until compiled (or when compiling failed). */
    CompiledSnapshot candidate() {
        return candidate;
    }

    void compiled(CompiledSnapshot candidate) {
        this.candidate = candidate;
    }

    void failed(String reason) {
        this.failure = reason;
    }

    /** Why the candidate could not be evaluated, if it could not. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    ShadowTally tally() {
        return tally;
    }

    void dropped() {
        dropped.increment();
    }

    long droppedCount() {
        return dropped.sum();
    }

    /** The inert compile of {@code snapshot} if it is the one last seen; evaluator thread only. */
    CompiledSnapshot inertOf(CompiledSnapshot snapshot) {
        return snapshot == served ? servedInert : null;
    }

    void inert(CompiledSnapshot snapshot, CompiledSnapshot inert) {
        this.served = snapshot;
        this.servedInert = inert;
    }

    ShadowLoad report() {
        ShadowLoad.Builder load = ShadowLoad.newBuilder().setRolloutId(rolloutId)
                .setCandidateVersion(candidateSnapshot.getVersion());
        return tally.report(load).build();
    }
}
