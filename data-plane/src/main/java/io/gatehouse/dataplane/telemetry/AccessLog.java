package io.gatehouse.dataplane.telemetry;

import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.observability.metrics.Counter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Asynchronous JSON-lines access log: request threads {@link #offer} a finished line into a bounded
 * queue (never blocking; a full queue drops the line and counts it in
 * {@code gatehouse_access_log_dropped_total}); one virtual thread drains the queue to the sink
 * (stdout or a file, appended) and flushes when the queue runs empty.
 *
 * <p>Sink from {@code GATEHOUSE_ACCESS_LOG}: {@code stdout} (default), {@code off}, or a file path.
 * Thread-safe; the writer is owned by the drain thread.
 */
final class AccessLog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AccessLog.class.getName());
    static final int QUEUE_CAPACITY = 8192;
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> queue;
    private final Writer out;
    private final Counter written;
    private final Counter dropped;
    private final Thread drainer;

    private AccessLog(Writer out, Metrics metrics) {
        this.out = out;
        this.queue = out == null ? null : new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        this.written = metrics.counter("gatehouse_access_log_lines_total", "Access log lines written").labels();
        this.dropped = metrics.counter("gatehouse_access_log_dropped_total",
                "Access log lines dropped because the queue was full").labels();
        this.drainer = out == null ? null : Thread.ofVirtual().name("gatehouse-access-log").start(this::drain);
    }

    static AccessLog open(String sink, Metrics metrics) {
        if (sink.equalsIgnoreCase("off")) {
            return new AccessLog(null, metrics);
        }
        if (sink.equalsIgnoreCase("stdout")) {
            return new AccessLog(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)), metrics);
        }
        try {
            Path file = Path.of(sink);
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            return new AccessLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND), metrics);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open access log " + sink + ": " + e.getMessage(), e);
        }
    }

    boolean enabled() {
        return out != null;
    }

    /** Queues one JSON line (without newline); drops it when the queue is full. Never blocks. */
    void offer(String line) {
        if (queue != null && !queue.offer(line)) {
            dropped.inc();
        }
    }

    int queued() {
        return queue == null ? 0 : queue.size();
    }

    private void drain() {
        try {
            while (true) {
                String line = queue.take();
                if (line == STOP) {
                    break;
                }
                write(line);
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
            String rest;
            while ((rest = queue.poll()) != null) {
                if (rest != STOP) {
                    write(rest);
                }
            }
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "access log writing failed; further lines are dropped", e);
        }
    }

    private void write(String line) throws IOException {
        out.write(line);
        out.write('\n');
        written.inc();
    }

    /** Writes what is queued, then stops the drain thread (waits up to 5 s). */
    @Override
    public void close() {
        if (drainer == null) {
            return;
        }
        try {
            queue.put(STOP);
            drainer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
