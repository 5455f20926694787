package io.gatehouse.chaos.load;

/** Part of a scenario a request was *meant* to be sent in (by its intended send time, not its completion). */
public enum Phase {
    /** Healthy fleet, before the fault: the baseline. */
    BEFORE,
    /** While the fault is in force. */
    DURING,
    /** While the harness heals the fault (e.g. restarts killed processes: JVM starts on the same cores). */
    HEALING,
    /** After the fault was healed (recovery included). */
    AFTER
}
