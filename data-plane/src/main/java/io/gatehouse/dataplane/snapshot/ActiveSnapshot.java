package io.gatehouse.dataplane.snapshot;

import io.gatehouse.proto.discovery.v1.Snapshot;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The snapshot in force: the one {@link AtomicReference} the request path reads.
 *
 * <p>Applying builds the new {@link CompiledSnapshot} completely and only then sets the reference,
 * so a request sees either the old or the new config, never a mix; a snapshot that fails to compile
 * leaves the reference untouched. Applied snapshots are persisted through {@link LastKnownGoodStore}.
 * Reads are lock-free from any thread; {@link #apply} is called by one thread at a time (the watch
 * stream's callback thread, or the starting thread for the disk copy).
 */
public final class ActiveSnapshot {

    private static final Logger LOG = Logger.getLogger(ActiveSnapshot.class.getName());

    private final AtomicReference<CompiledSnapshot> current = new AtomicReference<>();
    private final SnapshotCompiler compiler;
    private final LastKnownGoodStore store;
    /** Snapshots put in force that could not be saved (disk full, read-only, permissions): a metric. */
    private final java.util.concurrent.atomic.LongAdder persistFailures = new java.util.concurrent.atomic.LongAdder();
    private final List<Consumer<CompiledSnapshot>> swapListeners = new CopyOnWriteArrayList<>();

    public ActiveSnapshot(SnapshotCompiler compiler, LastKnownGoodStore store) {
        this.compiler = compiler;
        this.store = store;
    }

    /**
     * Calls {@code listener} with every snapshot put in force from now on, on the applying thread right
     * after the swap, and at once with the one already in force (if any). For state that lives across
     * snapshots and must follow them (breakers of removed upstreams); listeners must be quick.
     */
    public void onSwap(Consumer<CompiledSnapshot> listener) {
        swapListeners.add(listener);
        CompiledSnapshot snapshot = current.get();
        if (snapshot != null) {
            listener.accept(snapshot);
        }
    }

    private void swap(CompiledSnapshot compiled) {
        current.set(compiled);
        for (Consumer<CompiledSnapshot> listener : swapListeners) {
            try {
                listener.accept(compiled);
            } catch (RuntimeException e) {
                // the snapshot is in force whatever a follower of it does: never NACK because of one
                LOG.log(Level.SEVERE, "a listener failed on version " + compiled.version(), e);
            }
        }
    }

    /** The snapshot in force, or null before the first one. Cheap; call once per request. */
    public CompiledSnapshot get() {
        return current.get();
    }

    /** The snapshot in force, if any. */
    public Optional<CompiledSnapshot> current() {
        return Optional.ofNullable(current.get());
    }

    /** Version in force, 0 when none. */
    public long version() {
        CompiledSnapshot snapshot = current.get();
        return snapshot == null ? 0 : snapshot.version();
    }

    /**
     * The {@code version_info} of the snapshot in force, as the control plane wrote it: "" when
     * none, "&lt;version&gt;" or, once API keys exist, "&lt;version&gt;.&lt;keys revision&gt;"
     * (see discovery.proto). A key change is a new snapshot of the same config version.
     */
    public String versionInfo() {
        CompiledSnapshot snapshot = current.get();
        return snapshot == null ? "" : versionInfo(snapshot.snapshot());
    }

    /** The {@code version_info} naming {@code snapshot}. */
    public static String versionInfo(Snapshot snapshot) {
        return snapshot.getKeysRevision() == 0 ? Long.toString(snapshot.getVersion())
                : snapshot.getVersion() + "." + snapshot.getKeysRevision();
    }

    /**
     * Compiles and swaps in a snapshot from the control plane, then persists it as last-known-good
     * (a failed write is logged; the snapshot stays in force). Any version is applied, older ones
     * too: a rollout whose wave failed sends the previous version again (discovery.proto, step 6),
     * and that one then becomes last-known-good. The snapshot in force sent again is kept as it is.
     *
     * @throws SnapshotCompileException if it cannot be compiled; the previous snapshot stays in force
     */
    public CompiledSnapshot apply(Snapshot snapshot) throws SnapshotCompileException {
        CompiledSnapshot inForce = current.get();
        if (inForce != null && inForce.source() == SnapshotSource.CONTROL_PLANE && inForce.snapshot().equals(snapshot)) {
            // The same snapshot again: during a rollout a response may only add or drop `shadow`.
            // Recompiling would rebuild every runtime object for nothing; it was saved when applied.
            return inForce;
        }
        CompiledSnapshot compiled = compiler.compile(snapshot, SnapshotSource.CONTROL_PLANE);
        swap(compiled);
        try {
            store.write(snapshot);
        } catch (IOException e) {
            persistFailures.increment();
            LOG.log(Level.WARNING, "version " + snapshot.getVersion() + " is in force but could not be saved to "
                    + store.file() + "; a restart without the control plane would not have it", e);
        }
        return compiled;
    }

    /** Snapshots put in force whose last-known-good write failed, since start. */
    public long persistFailures() {
        return persistFailures.sum();
    }

    /**
     * Loads the last-known-good snapshot from disk, if there is one that compiles, and puts it in force.
     *
     * @return whether a snapshot was loaded
     */
    public boolean loadFromDisk() {
        Optional<Snapshot> stored = store.read();
        if (stored.isEmpty()) {
            return false;
        }
        try {
            CompiledSnapshot compiled = compiler.compile(stored.get(), SnapshotSource.DISK);
            swap(compiled);
            LOG.info("serving last-known-good version " + compiled.version() + " from " + store.file());
            return true;
        } catch (SnapshotCompileException e) {
            LOG.warning("last-known-good snapshot in " + store.file() + " does not compile (" + e.getMessage()
                    + "); ignoring it");
            return false;
        }
    }
}
