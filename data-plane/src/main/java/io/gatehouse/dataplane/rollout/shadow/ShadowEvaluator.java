package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.rollout.Shadowing;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Shadow evaluation of a rollout's candidate config ({@link Shadowing}): compiles the candidate
 * inert ({@link SnapshotCompiler#inert()}: no health checks, no connections, no JWKS fetches) on a
 * background thread, samples live requests after the config in force decided them
 * ({@link #sampler()}, wired into the request handler), and on its own single thread computes, for
 * each sample, the decisions of both configs with the same code ({@link ShadowDecider}) and counts
 * the differences per route of the config in force.
 *
 * <p>Bounds: a queue of {@link #QUEUE_CAPACITY} samples (full = the sample is dropped and counted),
 * at most {@link #MAX_EVALUATIONS_PER_SECOND} evaluations per second on one thread, so a shadow costs
 * at most about one core's share that rate buys, whatever the traffic. Without a shadow the request
 * path pays one volatile read.
 *
 * <p>{@link #update} is called by the watch client's thread, {@link #report} by the load reporter's;
 * both are quick and thread-safe. {@link #close()} stops the evaluator thread.
 */
public final class ShadowEvaluator implements Shadowing, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ShadowEvaluator.class.getName());
    public static final int QUEUE_CAPACITY = 1024;
    public static final int MAX_EVALUATIONS_PER_SECOND = 500;
    private static final long EVALUATION_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1) / MAX_EVALUATIONS_PER_SECOND;

    private final SnapshotCompiler compiler;
    private final BlockingQueue<SampledRequest> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final ShadowSampler sampler = new ShadowSampler(queue);
    /** The shadow run asked for (compiled or not); null = none. Written under {@code this}. */
    private volatile ShadowRun current;
    /** Started with the first candidate that compiled; written under {@code this}. */
    private Thread evaluator;
    private volatile boolean closed;

    /**
     * @param compiler the data plane's snapshot compiler (the one its config in force is compiled
     *                 with); the evaluator compiles with its {@link SnapshotCompiler#inert() inert} form
     */
    public ShadowEvaluator(SnapshotCompiler compiler) {
        this.compiler = compiler.inert();
    }

    /** The hot-path end: give it to the request handler(s). */
    public ShadowSampler sampler() {
        return sampler;
    }

    @Override
    public synchronized void update(Shadow shadow) {
        ShadowRun running = current;
        if (shadow == null) {
            if (running != null) {
                LOG.info(() -> "shadow evaluation of rollout " + running.report().getRolloutId() + " stopped");
                end();
            }
            return;
        }
        if (running != null && running.sameAs(shadow)) {
            running.ratio(shadow.getSampleRatio()); // same candidate: the counts go on
            return;
        }
        end();
        ShadowRun run = new ShadowRun(shadow);
        current = run;
        if (!(shadow.getSampleRatio() > 0 && shadow.getSampleRatio() <= 1)) {
            fail(run, "sample_ratio " + shadow.getSampleRatio() + " is not in (0, 1]");
            return;
        }
        if (closed) {
            return;
        }
        // Compiling a large config takes a while: never on the watch client's thread.
        Thread.ofVirtual().name("gatehouse-shadow-compile").start(() -> compile(run));
    }

    @Override
    public Optional<ShadowLoad> report() {
        ShadowRun run = current;
        return run == null ? Optional.empty() : Optional.of(run.report());
    }

    /** Why the current candidate cannot be evaluated (it did not compile); empty otherwise. */
    public Optional<String> failure() {
        ShadowRun run = current;
        return run == null ? Optional.empty() : run.failure();
    }

    /** Samples of the current run dropped because the queue was full; 0 without a run. */
    public long dropped() {
        ShadowRun run = current;
        return run == null ? 0 : run.droppedCount();
    }

    /** Whether a candidate is compiled and requests are being sampled. */
    public boolean sampling() {
        ShadowRun run = current;
        return run != null && run.candidate() != null;
    }

    /**
     * Whether every request sampled so far has been evaluated (or discarded): nothing is queued or
     * being evaluated. For tests and tools that read a report after their requests.
     */
    public boolean idle() {
        return sampler.idle();
    }

    /** Requests handed to evaluation since start, all shadow runs (0 = nothing was ever captured). */
    public long captured() {
        return sampler.captured();
    }

    private void end() {
        sampler.stop();
        current = null; // the compiled candidate goes with the run: it opened nothing to close
        sampler.done(queue.drainTo(new java.util.ArrayList<>()));
    }

    private void compile(ShadowRun run) {
        CompiledSnapshot candidate;
        try {
            candidate = compiler.compile(run.candidateSnapshot(), SnapshotSource.CONTROL_PLANE);
        } catch (SnapshotCompileException | RuntimeException e) {
            fail(run, e.getMessage());
            return;
        }
        synchronized (this) {
            if (current != run || closed) {
                return; // replaced or stopped while compiling
            }
            run.compiled(candidate);
            startEvaluator();
            sampler.start(run);
        }
        LOG.info(() -> "shadow evaluation of version " + candidate.version() + " started (sample ratio "
                + run.ratio() + ")");
    }

    private void fail(ShadowRun run, String reason) {
        run.failed(reason);
        LOG.warning(() -> "shadow candidate version " + run.candidateSnapshot().getVersion()
                + " cannot be evaluated: " + reason);
    }

    private void startEvaluator() {
        if (evaluator == null) {
            evaluator = Thread.ofPlatform().name("gatehouse-shadow-evaluator").daemon().start(this::runEvaluations);
        }
    }

    /** The evaluator thread: one sample at a time, paced to the evaluation rate. */
    private void runEvaluations() {
        long next = System.nanoTime();
        while (!closed) {
            SampledRequest sample;
            try {
                sample = queue.take();
            } catch (InterruptedException e) {
                return; // closed
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            next = Math.max(next, System.nanoTime() - EVALUATION_INTERVAL_NANOS) + EVALUATION_INTERVAL_NANOS;
            ShadowRun run = sample.run();
            try {
                if (run == current && run.candidate() != null) { // else sampled for a run that ended
                    evaluate(run, sample);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "shadow evaluation of a request failed", e);
            } finally {
                sampler.done(1);
            }
        }
    }

    private void evaluate(ShadowRun run, SampledRequest sample) {
        CompiledSnapshot active = run.inertOf(sample.served());
        if (active == null) {
            // The config in force is compiled inert too, once per version, so both sides are decided
            // by the same code without reaching the network (its live verifiers may fetch JWKS).
            try {
                active = compiler.compile(sample.served().snapshot(), sample.served().source());
            } catch (SnapshotCompileException e) {
                LOG.warning("the config in force (version " + sample.served().version()
                        + ") does not compile inert: " + e.getMessage());
                return;
            }
            run.inert(sample.served(), active);
        }
        run.tally().record(sample.routeId(), ShadowDecider.decide(active, sample),
                ShadowDecider.decide(run.candidate(), sample));
    }

    /** Stops sampling and the evaluator thread; idempotent. */
    @Override
    public void close() {
        Thread thread;
        synchronized (this) {
            closed = true;
            end();
            thread = evaluator;
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
