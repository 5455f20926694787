package io.gatehouse.chaos.fleet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One external process of the fleet that the harness can start, kill with SIGKILL, freeze with
 * SIGSTOP, thaw with SIGCONT and start again with the same command (same ports, same state).
 *
 * <p>The process signalled is the one that does the work: for a server started through a wrapper
 * ({@code runuser}), {@code pid} says where its real pid comes from (e.g. {@code postmaster.pid}).
 * Output goes to {@code log} (appended across restarts). Not thread-safe: the scenario thread owns it.
 */
public final class ManagedProcess implements AutoCloseable {

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private final Optional<LongSupplier> realPid;
    private Process process;
    private boolean stopped;

    /**
     * @param realPid where the pid of the working process comes from when it is not the started
     *                one (a wrapper); empty = the started process itself
     */
    public ManagedProcess(String name, List<String> command, Map<String, String> environment, Path log,
                          Optional<LongSupplier> realPid) {
        this.name = Objects.requireNonNull(name);
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.log = log;
        this.realPid = realPid;
    }

    public ManagedProcess(String name, List<String> command, Map<String, String> environment, Path log) {
        this(name, command, environment, log, Optional.empty());
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** Starts the command (again); a running instance must have been killed first. */
    public void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is still running (pid " + process.pid() + ")");
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        process = builder.start();
        stopped = false;
    }

    /** Pid of the process doing the work (see the class comment). */
    public long pid() {
        return realPid.map(LongSupplier::getAsLong).orElseGet(() -> process.pid());
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /**
     * SIGKILL to the working process and everything it started (a whole server dying, as when its
     * machine or container goes), then waits until all of them are gone so the ports are free.
     */
    public void kill9() throws IOException, InterruptedException {
        if (!alive()) {
            return;
        }
        long pid = pid();
        List<ProcessHandle> tree = ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of());
        Signals.send("KILL", pid);
        for (ProcessHandle child : tree) {
            Signals.send("KILL", child.pid());
        }
        process.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle child : tree) {
            child.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> child).join();
        }
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> h).join());
        stopped = false;
    }

    /** SIGSTOP: the process keeps its sockets (the kernel still accepts connections) but does nothing. */
    public void freeze() throws IOException, InterruptedException {
        Signals.send("STOP", pid());
        stopped = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() throws IOException, InterruptedException {
        Signals.send("CONT", pid());
        stopped = false;
    }

    /** SIGTERM and a bounded wait, SIGKILL after it; thaws a frozen process first. Idempotent. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            if (stopped) {
                thaw();
            }
            long pid = pid();
            Signals.send("TERM", pid);
            if (!process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                kill9();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
