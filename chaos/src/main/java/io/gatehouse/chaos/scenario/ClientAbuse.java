package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.load.AbusiveClients;
import io.gatehouse.chaos.load.OpenLoopLoad;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * dp-us-1 under client abuse at once: slowloris connections, 10k idle connections (full mode), a
 * stream of requests with a 64 KiB header, and a closed-loop flood, while normal clients keep their
 * constant rate. Normal clients must not fail (p99 reported), oversized headers get 431, and the
 * data plane's resident memory stays bounded (sampled every 250 ms).
 */
public final class ClientAbuse extends FaultScenario {

    /** Resident memory bound: the 384 MiB heap plus what a JVM needs around it. */
    private static final long RSS_BOUND = 1024L * 1024 * 1024;
    private static final int HUGE_HEADER_BYTES = 64 * 1024;
    private final List<AbusiveClients> abusers = new ArrayList<>();
    private final List<String> summaries = new ArrayList<>();
    private final AtomicLong peakRss = new AtomicLong();
    private long rssBefore;
    private volatile boolean sampling;
    private Thread sampler;

    @Override
    public String name() {
        return "client abuse";
    }

    @Override
    public String expectation() {
        return "DP stays responsive for normal clients (p99 reported), memory bounded";
    }

    @Override
    protected List<OpenLoopLoad> loads(ScenarioContext context) {
        DataPlaneNode us = context.fleet().us();
        return List.of(context.load("api (us)", "/api/items", context.mode().rate() / 2, List.of(us)),
                new OpenLoopLoad("64 KiB header", List.of(us.url("/api/big")), 20, ScenarioContext.REQUEST_TIMEOUT,
                        Map.of("X-Huge", "h".repeat(HUGE_HEADER_BYTES))));
    }

    @Override
    protected boolean expectsFailures(String stream) {
        return stream.equals("64 KiB header");
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) {
        DataPlaneNode us = context.fleet().us();
        rssBefore = us.residentBytes().orElse(0L);
        sampling = true;
        sampler = Thread.ofVirtual().name("rss-sampler").start(() -> {
            while (sampling) {
                us.residentBytes().ifPresent(rss -> peakRss.accumulateAndGet(rss, Math::max));
                context.sleep(Duration.ofMillis(250));
            }
        });
        double scale = context.mode().abuseScale();
        abusers.add(AbusiveClients.slowloris(us.port(), (int) (500 * scale)));
        abusers.add(AbusiveClients.idle(us.port(), (int) (10_000 * scale)));
        abusers.add(AbusiveClients.flood(us.url("/api/flood"), context.mode().full() ? 32 : 8));
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws InterruptedException {
        abusers.forEach(a -> summaries.add(a.summary()));
        abusers.forEach(AbusiveClients::close);
        sampling = false;
        sampler.join();
    }

    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> context.fleet().us().get("/healthz").statusCode() == 200;
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        StreamResult normal = streams.get(0);
        StreamResult huge = streams.get(1);
        checks.add(Checks.noFailures(normal));
        checks.add(Check.info("normal clients' p99 before / during / after",
                Checks.fmt(normal.before().percentileMillis(99)) + " / " + Checks.fmt(normal.during().percentileMillis(99))
                        + " / " + Checks.fmt(normal.after().percentileMillis(99)) + " ms"));
        long rejected431 = huge.failures().entrySet().stream().filter(e -> e.getKey().startsWith("431"))
                .mapToLong(Map.Entry::getValue).sum();
        checks.add(Check.of("64 KiB headers refused with 431", rejected431 == huge.sent(),
                rejected431 + " of " + huge.sent() + " " + huge.failures()));
        long mib = 1024 * 1024;
        checks.add(Check.of("dp-us-1 resident memory <= " + RSS_BOUND / mib + " MiB", peakRss.get() <= RSS_BOUND,
                rssBefore / mib + " MiB before, peak " + peakRss.get() / mib + " MiB"));
        summaries.forEach(s -> checks.add(Check.info("abuse", s)));
    }
}
