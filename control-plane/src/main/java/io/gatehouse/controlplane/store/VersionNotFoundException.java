package io.gatehouse.controlplane.store;

/** The requested config version does not exist (or, for "active", nothing has been applied yet). */
public final class VersionNotFoundException extends Exception {
    private final long version;

    public VersionNotFoundException(long version) {
        super(version == 0 ? "no config version is active yet" : "config version " + version + " does not exist");
        this.version = version;
    }

    /** The version asked for; 0 means "the active one". */
    public long version() {
        return version;
    }
}
