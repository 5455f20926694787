package io.gatehouse.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * A test resource (a database, a server, a child process) that is its own JUnit 5 extension, so a
 * test class declares it in one line and writes no set-up or tear-down for it:
 *
 * <pre>{@code
 * @RegisterExtension static final TestDatabase db = TestDatabase.migrated();        // one for the class
 * @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
 * @RegisterExtension final RedisServer redis = RedisServer.create("mine");           // one per test method
 * }</pre>
 *
 * <p>On a static field the resource starts before the class's first test and stops after its last;
 * on an instance field it starts and stops around every test. It stops even when the test fails.
 *
 * <p>A fixture built on another one names it with {@link #requires}: starting it starts the
 * prerequisite first (and stops it again afterwards if nothing else had started it), and stopping
 * the prerequisite stops it first. JUnit orders
 * {@code @RegisterExtension} fields deterministically but not by declaration, so the order must come
 * from here, or a database would be dropped under a running control plane.
 *
 * <p>Tests that need one for a few lines only use it by hand: {@link #start()}, then {@link #close()}
 * (try-with-resources). Test classes run one at a time; a fixture is not meant to be shared between
 * threads while it starts or stops.
 */
public abstract class Fixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, AutoCloseable {

    private final List<Fixture> prerequisites = new ArrayList<>();
    private final List<Fixture> dependents = new ArrayList<>();
    /** Prerequisites this one started (nobody else had): they stop with it, so none is left running. */
    private final List<Fixture> startedHere = new ArrayList<>();
    /** How many class scopes it was entered from (a static field is seen again by @Nested classes). */
    private int classScopes;
    private boolean running;

    /** Brings the resource up; called once per start. */
    protected abstract void open() throws Exception;

    /** Takes the resource down; called once per stop, also after a failed test. */
    protected abstract void release() throws Exception;

    /** Declares that this fixture runs on {@code prerequisite}; returns it, for use in a constructor. */
    protected final <F extends Fixture> F requires(F prerequisite) {
        prerequisites.add(prerequisite);
        ((Fixture) prerequisite).dependents.add(this);
        return prerequisite;
    }

    /** Starts the prerequisites, then this; a no-op while running. */
    public final synchronized void start() {
        if (running) {
            return;
        }
        for (Fixture prerequisite : prerequisites) {
            if (!prerequisite.isRunning()) {
                prerequisite.start();
                startedHere.add(prerequisite);
            }
        }
        try {
            open();
        } catch (Exception e) {
            RuntimeException failure = e instanceof RuntimeException r ? r
                    : new IllegalStateException("cannot start " + this + ": " + e.getMessage(), e);
            stopStartedHere(failure);
            throw failure;
        }
        running = true;
    }

    /** Stops the dependents that are running, then this; a no-op when not running. */
    @Override
    public final synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        RuntimeException failure = null;
        for (Fixture dependent : dependents.reversed()) {
            failure = closeCollecting(dependent, failure);
        }
        try {
            release();
        } catch (Exception e) {
            RuntimeException stop = e instanceof RuntimeException r ? r
                    : new IllegalStateException("cannot stop " + this + ": " + e.getMessage(), e);
            if (failure != null) {
                stop.addSuppressed(failure);
            }
            failure = stop;
        }
        failure = stopStartedHere(failure);
        if (failure != null) {
            throw failure;
        }
    }

    private RuntimeException stopStartedHere(RuntimeException failure) {
        for (Fixture prerequisite : startedHere.reversed()) {
            failure = closeCollecting(prerequisite, failure);
        }
        startedHere.clear();
        return failure;
    }

    /** Closes {@code fixture}; returns the first failure (earlier, or this one), later ones suppressed in it. */
    private static RuntimeException closeCollecting(Fixture fixture, RuntimeException failure) {
        try {
            fixture.close();
            return failure;
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
            return failure;
        }
    }

    public final synchronized boolean isRunning() {
        return running;
    }

    /** For accessors: a fixture used before it started is a wrong declaration, said plainly. */
    protected final void requireRunning() {
        if (!isRunning()) {
            throw new IllegalStateException(this + " is not running: declare it with @RegisterExtension"
                    + " (or call start()) and use it from a test or a @BeforeEach/@BeforeAll method");
        }
    }

    @Override
    public final void beforeAll(ExtensionContext context) {
        synchronized (this) {
            classScopes++;
        }
        start();
    }

    @Override
    public final void afterAll(ExtensionContext context) {
        synchronized (this) {
            if (--classScopes > 0) {
                return;
            }
        }
        close();
    }

    @Override
    public final void beforeEach(ExtensionContext context) {
        if (!perClass()) {
            start();
        }
    }

    @Override
    public final void afterEach(ExtensionContext context) {
        if (!perClass()) {
            close();
        }
    }

    private synchronized boolean perClass() {
        return classScopes > 0;
    }
}
