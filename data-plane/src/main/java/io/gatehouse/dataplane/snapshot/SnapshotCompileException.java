package io.gatehouse.dataplane.snapshot;

/** A snapshot could not be turned into runtime objects; the message says why (it is sent in the NACK). */
public final class SnapshotCompileException extends Exception {

    public SnapshotCompileException(String message) {
        super(message);
    }

    public SnapshotCompileException(String message, Throwable cause) {
        super(message, cause);
    }
}
