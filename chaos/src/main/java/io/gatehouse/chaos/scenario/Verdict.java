package io.gatehouse.chaos.scenario;

/** Whether a scenario met its expectation. */
public enum Verdict {
    PASS,
    FAIL,
    /**
     * The fleet was not healthy before the fault (the baseline already failed requests or was slow,
     * e.g. the shared machine was saturated): the numbers are shown, but judge nothing by them.
     */
    INCONCLUSIVE,
    /** Could not run here (e.g. no root for a tmpfs, no Redis Cluster support yet); the note says why. */
    SKIPPED,
    /** The harness itself failed (a process did not start): not a statement about Gatehouse. */
    ERROR
}
