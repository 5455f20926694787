package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.snapshot.CompiledSnapshot;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link CompiledAuth} of the snapshot in force, compiled on first use after each swap and
 * shared by the authentication and authorization policies. Snapshots are swapped whole, so
 * caching the newest one by identity is enough; a request still holding an older snapshot
 * compiles its own (rare, during a swap). Thread-safe.
 */
final class AuthSnapshots {

    private record Entry(CompiledSnapshot snapshot, CompiledAuth auth) {
    }

    private final JwksCache jwks;
    private final Clock clock;
    private final AtomicReference<Entry> latest = new AtomicReference<>();

    AuthSnapshots(JwksCache jwks, Clock clock) {
        this.jwks = jwks;
        this.clock = clock;
    }

    CompiledAuth of(CompiledSnapshot snapshot) {
        if (snapshot == null) {
            return CompiledAuth.EMPTY;
        }
        Entry entry = latest.get();
        if (entry != null && entry.snapshot() == snapshot) {
            return entry.auth();
        }
        CompiledAuth compiled = CompiledAuth.compile(snapshot.snapshot(), jwks, clock);
        latest.set(new Entry(snapshot, compiled));
        return compiled;
    }
}
