package io.gatehouse.dataplane.snapshot;

/** Where the snapshot in force came from. */
public enum SnapshotSource {
    /** Pushed by the control plane over the watch stream. */
    CONTROL_PLANE("control-plane"),
    /** Read from the last-known-good file at start. */
    DISK("disk");

    private final String label;

    SnapshotSource(String label) {
        this.label = label;
    }

    /** The value shown by the admin {@code /config} endpoint. */
    public String label() {
        return label;
    }
}
