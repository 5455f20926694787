package io.gatehouse.chaos.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Constant-rate (open-loop) HTTP load: request {@code i} is due at {@code start + i / rate} whether or
 * not earlier ones have completed, and its latency counts from that due time. A closed-loop client
 * (wrk, a thread per connection) stops sending while the server stalls and so never measures the
 * stall it would have suffered: coordinated omission. Here a stall shows as every request that was
 * due during it waiting, as real users' requests would.
 *
 * <p>One scheduler thread; requests go out through the JDK's asynchronous HTTP/1.1 client (completions
 * on virtual threads). Targets are used round-robin (both data planes). Outcomes are recorded per
 * {@link Phase}; {@link #phase(Phase)} switches the phase for requests due from now on.
 */
public final class OpenLoopLoad implements AutoCloseable {

    private final String name;
    private final List<URI> targets;
    private final int ratePerSecond;
    private final Duration requestTimeout;
    private final Map<String, String> headers;
    private final HttpClient client;
    private final Map<Phase, PhaseStats> stats = new EnumMap<>(Phase.class);
    private final AtomicLong inFlight = new AtomicLong();
    private volatile Phase phase = Phase.BEFORE;
    private volatile boolean running = true;
    private final Thread scheduler;

    /**
     * @param name           stream name in the results ("api", "flaky", ...)
     * @param targets        URLs used in turn
     * @param ratePerSecond  offered rate
     * @param requestTimeout a request still unanswered after this counts as a client timeout
     */
    public OpenLoopLoad(String name, List<URI> targets, int ratePerSecond, Duration requestTimeout) {
        this(name, targets, ratePerSecond, requestTimeout, Map.of());
    }

    /** As above, every request carrying {@code headers} (e.g. an oversized one). */
    public OpenLoopLoad(String name, List<URI> targets, int ratePerSecond, Duration requestTimeout,
                        Map<String, String> headers) {
        this.headers = Map.copyOf(headers);
        this.name = name;
        this.targets = List.copyOf(targets);
        this.ratePerSecond = ratePerSecond;
        this.requestTimeout = requestTimeout;
        for (Phase p : Phase.values()) {
            stats.put(p, new PhaseStats());
        }
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        this.scheduler = Thread.ofPlatform().name("load-" + name).daemon().start(this::schedule);
    }

    public String name() {
        return name;
    }

    public int ratePerSecond() {
        return ratePerSecond;
    }

    /** Requests due from now on belong to {@code next}. */
    public void phase(Phase next) {
        phase = next;
    }

    public PhaseStats stats(Phase p) {
        return stats.get(p);
    }

    private void schedule() {
        long period = 1_000_000_000L / ratePerSecond;
        long start = System.nanoTime();
        for (long i = 0; running; i++) {
            long due = start + i * period;
            long wait;
            while (running && (wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (!running) {
                return;
            }
            send(targets.get((int) (i % targets.size())), due);
        }
    }

    private void send(URI target, long due) {
        PhaseStats phaseStats = stats.get(phase);
        phaseStats.countSent();
        inFlight.incrementAndGet();
        HttpRequest.Builder builder = HttpRequest.newBuilder(target).timeout(requestTimeout).GET();
        headers.forEach(builder::header);
        HttpRequest request = builder.build();
        try {
            client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
                long latency = System.nanoTime() - due;
                Outcome outcome = failure != null ? Outcome.of(failure) : Outcome.of(response.statusCode(), response.body());
                phaseStats.record(outcome, latency);
                inFlight.decrementAndGet();
            });
        } catch (RuntimeException e) {
            phaseStats.record(Outcome.of(e), System.nanoTime() - due);
            inFlight.decrementAndGet();
        }
    }

    /** Stops sending and waits (up to the request timeout and a second) for requests in flight. */
    @Override
    public void close() {
        running = false;
        try {
            scheduler.join(1000);
            long deadline = System.nanoTime() + requestTimeout.plusSeconds(1).toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // in-flight completions arrive on the client's threads; no event to wait on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.shutdownNow();
    }
}
