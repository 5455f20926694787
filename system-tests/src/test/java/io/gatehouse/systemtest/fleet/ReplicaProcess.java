package io.gatehouse.systemtest.fleet;

import io.gatehouse.pki.TlsFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One control plane replica in a child JVM ({@link FleetReplica}), so that its CPU seconds come
 * from /proc/PID/stat and its heap from its own MXBeans, apart from the fleet's clients. Restartable
 * on the same port (a replica restart as the fleet sees it).
 */
final class ReplicaProcess implements AutoCloseable {

    /** Clock ticks per second of /proc/PID/stat (USER_HZ; 100 on every Linux we run). */
    private static final long TICKS_PER_SECOND = 100;

    private final String replicaId;
    private final int port;
    private final List<String> command;
    private final Path log;
    private final AtomicInteger sequence = new AtomicInteger();
    private Process process;
    private PrintStream stdin;
    private final BlockingQueue<String> statLines = new LinkedBlockingQueue<>();

    ReplicaProcess(String replicaId, int port, String jdbcUrl, String dbUser, TlsFiles tls, Path dir,
                   List<String> jvmOptions) {
        this.replicaId = replicaId;
        this.port = port;
        this.log = dir.resolve(replicaId + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-Xlog:gc:file=" + dir.resolve(replicaId + "-gc.log") + ":uptime,level");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FleetReplica.class.getName(),
                "--db-url", jdbcUrl, "--db-user", dbUser,
                "--bind", "127.0.0.1", "--port", Integer.toString(port), "--replica-id", replicaId,
                "--http-port", "0", "--status-auth", "none", "--admin-auth", "client-cert",
                "--tls-cert", tls.certificate().toString(), "--tls-key", tls.privateKey().toString(),
                "--tls-ca", tls.trustedCa().toString(), "--tls-reload-interval", "60m"));
    }

    String replicaId() {
        return replicaId;
    }

    int port() {
        return port;
    }

    String target() {
        return "127.0.0.1:" + port;
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    /** Starts the JVM and waits until it serves gRPC; returns the milliseconds that took. */
    long start() {
        long begin = System.nanoTime();
        try {
            long logOffset = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("GATEHOUSE_") || k.startsWith("OTEL_"));
            process = builder.start();
            stdin = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            Thread.ofPlatform().daemon().name("replica-out-" + replicaId).start(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("FLEETSTATS ")) {
                            statLines.add(line);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(replicaId + " exited with " + process.exitValue() + "; see " + log);
                }
                if (Files.exists(log) && Files.size(log) > logOffset) {
                    // Only what this start wrote: the log of a long run is many MB (every NACK is logged).
                    try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(log.toFile(), "r")) {
                        file.seek(logOffset);
                        byte[] tail = new byte[(int) Math.min(1 << 20, file.length() - logOffset)];
                        file.readFully(tail);
                        if (new String(tail, StandardCharsets.UTF_8).contains("serving gRPC on")) {
                            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
                        }
                    }
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException(replicaId + " did not start within 120 s; see " + log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM (the replica ends its streams with UNAVAILABLE, as in a rolling restart) and waits for the exit. */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** User + system CPU of the whole process so far, in nanoseconds (/proc/PID/stat, 10 ms resolution). */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            // Fields after the command name, which is in parentheses and may contain spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Resident set size in bytes (/proc/PID/status VmRSS). */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The replica's own counters: alloc (bytes allocated so far), heap (in use), gcCount, gcMillis, threads. */
    Map<String, Long> stats() {
        return ask("stats");
    }

    /** Like {@link #stats()} after a full GC: heap = retained. */
    Map<String, Long> statsAfterGc() {
        return ask("gc");
    }

    private Map<String, Long> ask(String what) {
        int seq = sequence.incrementAndGet();
        stdin.println(what + " " + seq);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                String line = statLines.poll(1, TimeUnit.SECONDS);
                if (line != null && line.startsWith("FLEETSTATS " + seq + " ")) {
                    Map<String, Long> values = new HashMap<>();
                    for (String pair : line.substring(("FLEETSTATS " + seq + " ").length()).split(" ")) {
                        int eq = pair.indexOf('=');
                        values.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
                    }
                    return values;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException(replicaId + " did not answer '" + what + "'");
    }

    /** Lines of its log at WARNING or SEVERE level (reconnect errors show up here), all runs appended. */
    long warnings() {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains(" WARNING ") || l.contains(" SEVERE "))
                    // The start-up warning about --status-auth none (the bench reads no status page) is no error.
                    .filter(l -> !l.contains("--status-auth none"))
                    .count();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
