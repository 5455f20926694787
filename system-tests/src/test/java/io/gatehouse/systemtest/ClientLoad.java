package io.gatehouse.systemtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A client hitting one URL in a loop on a virtual thread (a request, then {@link #PAUSE}: some 40
 * requests a second, enough for any gate and light enough that five of them leave a shared 2-core
 * machine to the fleet under test), counting answers: 200 is ok, anything
 * else (another status, a refused or reset connection, a timeout) is a failure, and the first few
 * failures are kept to say what went wrong. The URL is asked for before each request, so a data
 * plane restarted on a new port keeps being hit. Counters are safe to read from any thread.
 */
final class ClientLoad implements AutoCloseable {

    private static final int KEPT_FAILURES = 5;
    static final Duration PAUSE = Duration.ofMillis(20);

    private final String name;
    private final Supplier<URI> target;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    private ClientLoad(String name, Supplier<URI> target) {
        this.name = name;
        this.target = target;
        this.thread = Thread.ofVirtual().name("client-load-" + name).start(this::loop);
    }

    /** Starts hitting {@code target} at once. */
    static ClientLoad start(String name, Supplier<URI> target) {
        return new ClientLoad(name, target);
    }

    private void loop() {
        while (running) {
            String outcome;
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(target.get())
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                outcome = response.statusCode() == 200 ? null : "HTTP " + response.statusCode();
            } catch (IOException | RuntimeException e) {
                outcome = e.toString();
            } catch (InterruptedException e) {
                return;
            }
            if (outcome == null) {
                ok.increment();
            } else if (running) {
                failed.increment();
                if (failures.size() < KEPT_FAILURES) {
                    failures.add(outcome);
                }
            }
            try {
                Thread.sleep(PAUSE);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    long ok() {
        return ok.sum();
    }

    long failed() {
        return failed.sum();
    }

    /** "us /orders: 1234 ok, 0 failed" and the first failures. */
    @Override
    public String toString() {
        return name + ": " + ok() + " ok, " + failed() + " failed" + (failures.isEmpty() ? "" : " " + failures);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(Duration.ofSeconds(10));
    }
}
