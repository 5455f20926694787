package io.gatehouse.controlplane.store;

/** A database operation failed (connection lost, constraint violated, ...). Unchecked: callers map it to UNAVAILABLE/INTERNAL. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
