package io.gatehouse.controlplane.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.controlplane.store.DataPlaneRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reads every live data plane's admin {@code /metrics} every {@code interval} and keeps the last
 * {@code window} of derived series for the status page's charts: requests/s, 5xx/s and p99 (from the
 * {@code gatehouse_request_duration_seconds} buckets, as {@code histogram_quantile} would) per data
 * plane and per route, circuit-breaker state per upstream (worst over the fleet), rate-limit decisions
 * and Redis fallbacks, and the response cache's hit ratio.
 *
 * <p>Bounds: at most {@code maxSeries} series of {@code window / interval} points each on one shared
 * time axis (doubles, NaN = no value); a series that would exceed the cap is not created and every
 * value it would have had counts in {@link #droppedValues()}; a series with no value in the whole
 * window is removed, so a route that disappears frees its slot. Reads go to at most
 * {@value #PARALLEL_READS} data planes at once, each bounded by the fetcher's byte limit and by the
 * interval as a deadline. Which data planes are read is decided by {@link #eligible}: connected over
 * mutual TLS, with a plain host:port admin address that the data plane itself reported (the
 * status listener's SSRF guard). Thread-safe: one tick at a time; readers get copies.
 */
public final class FleetSampler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(FleetSampler.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int PARALLEL_READS = 4;
    /** Of one data plane's exposition, at most this many samples of the families read are kept. */
    static final int MAX_SAMPLES_PER_DATA_PLANE = 20_000;

    static final String REQUESTS = "gatehouse_requests_total";
    static final String DURATION_BUCKET = "gatehouse_request_duration_seconds_bucket";
    static final String BREAKER_STATE = "gatehouse_circuit_breaker_state";
    static final String RATELIMIT_DECISIONS = "gatehouse_ratelimit_decisions_total";
    static final String RATELIMIT_REDIS_FAILURES = "gatehouse_ratelimit_redis_failures_total";
    static final String CACHE_HITS = "gatehouse_cache_hits_total";
    static final String CACHE_MISSES = "gatehouse_cache_misses_total";
    private static final Set<String> FAMILIES = Set.of(REQUESTS, DURATION_BUCKET, BREAKER_STATE, RATELIMIT_DECISIONS,
            RATELIMIT_REDIS_FAILURES, CACHE_HITS, CACHE_MISSES);

    /** The charts, in the order the page shows them; a series is (chart, label). */
    public static final List<String> CHARTS = List.of("dp.rps", "dp.err", "dp.p99", "route.rps", "route.err",
            "route.p99", "breaker", "ratelimit", "cache");

    /** A data plane to read. */
    public record Target(String node, String adminAddress) {
    }

    private final Supplier<List<Target>> targets;
    private final Function<String, java.util.Optional<String>> fetcher;
    private final Duration interval;
    private final int capacity;
    private final int maxSeries;
    private final LongSupplier clock;
    private final ExecutorService readers;
    private ScheduledExecutorService ticker;
    private final List<Consumer<ObjectNode>> listeners = new CopyOnWriteArrayList<>();

    // Guarded by "this".
    private final long[] times;
    private int head = -1;
    private int size;
    private final Map<String, double[]> series = new LinkedHashMap<>();
    private final Map<String, Cumulative> previous = new HashMap<>();
    private final AtomicLong droppedValues = new AtomicLong();
    private final AtomicLong failedReads = new AtomicLong();
    /** Whether the last tick could list the data planes (only the ticker thread writes it). */
    private volatile boolean listing = true;

    FleetSampler(Supplier<List<Target>> targets, Function<String, java.util.Optional<String>> fetcher,
                 Duration interval, Duration window, int maxSeries, LongSupplier clock) {
        if (interval.isNegative() || interval.isZero() || window.compareTo(interval) < 0 || maxSeries < 1) {
            throw new IllegalArgumentException("interval > 0, window >= interval and maxSeries >= 1 required");
        }
        this.targets = targets;
        this.fetcher = fetcher;
        this.interval = interval;
        this.capacity = (int) (window.toMillis() / interval.toMillis());
        this.maxSeries = maxSeries;
        this.clock = clock;
        this.times = new long[capacity];
        this.readers = Executors.newFixedThreadPool(PARALLEL_READS, Thread.ofVirtual().name("fleet-sampler-", 0).factory());
    }

    /** The status listener's guard: only what a data plane reported over its mutual-TLS stream. */
    static boolean eligible(DataPlaneRecord dp) {
        return dp.connected() && !dp.identity().isBlank() && DataPlaneTraffic.isHostPort(dp.adminAddress());
    }

    /** Samples every {@code interval} on a daemon thread until closed. */
    synchronized void start() {
        if (ticker != null) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("fleet-sampler").factory());
        ticker.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                // A store outage or a bug in one tick must not end the schedule.
                LOG.log(Level.WARNING, "fleet sampling failed", e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Called after every tick with that tick's point (see {@link #point}). */
    void onTick(Consumer<ObjectNode> listener) {
        listeners.add(listener);
    }

    long droppedValues() {
        return droppedValues.get();
    }

    long failedReads() {
        return failedReads.get();
    }

    synchronized int seriesCount() {
        return series.size();
    }

    Duration interval() {
        return interval;
    }

    /** Reads the fleet once and appends one point to every series. */
    void tick() {
        List<Target> fleet;
        try {
            fleet = targets.get();
            if (!listing) {
                LOG.info("fleet sampling: the data plane list is readable again");
                listing = true;
            }
        } catch (RuntimeException e) {
            // The database is away: an empty point (a gap on the charts) every tick, one warning.
            if (listing) {
                LOG.warning("fleet sampling: cannot list data planes (" + e.getMessage() + "); charts show a gap");
                listing = false;
            }
            fleet = List.of();
        }
        long deadline = System.nanoTime() + interval.toNanos();
        List<Future<java.util.Optional<String>>> reads = new ArrayList<>();
        for (Target t : fleet) {
            reads.add(readers.submit(() -> fetcher.apply(t.adminAddress())));
        }
        Map<String, Cumulative> now = new TreeMap<>();
        for (int n = 0; n < fleet.size(); n++) {
            Target t = fleet.get(n);
            java.util.Optional<String> body;
            try {
                body = reads.get(n).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                reads.get(n).cancel(true); // interrupts a body that trickles in
                body = java.util.Optional.empty();
            } catch (java.util.concurrent.ExecutionException e) {
                body = java.util.Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (body.isEmpty()) {
                failedReads.incrementAndGet();
                continue;
            }
            try {
                now.put(t.node(), Cumulative.of(PromText.parse(body.get(), FAMILIES, MAX_SAMPLES_PER_DATA_PLANE)));
            } catch (PromText.MalformedException e) {
                failedReads.incrementAndGet();
                LOG.warning(() -> "metrics of data plane " + t.node() + " unreadable: " + e.getMessage());
            }
        }
        ObjectNode point = record(now, clock.getAsLong());
        for (Consumer<ObjectNode> l : listeners) {
            try {
                l.accept(point);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "fleet sample listener failed", e);
            }
        }
    }

    /** Derives this tick's values from the cumulative counters and appends them; returns the point. */
    synchronized ObjectNode record(Map<String, Cumulative> now, long atMillis) {
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, Map<Double, Double>> routeBuckets = new TreeMap<>();
        double allowed = 0;
        double limited = 0;
        double fallback = 0;
        double redisFailures = 0;
        double hits = 0;
        double misses = 0;
        boolean anyRate = false;
        Map<String, Double> breakers = new TreeMap<>();
        for (Map.Entry<String, Cumulative> e : now.entrySet()) {
            String node = e.getKey();
            Cumulative cur = e.getValue();
            cur.breakers.forEach((upstream, state) -> breakers.merge(upstream, state, Math::max));
            Cumulative prev = previous.get(node);
            if (prev == null || atMillis <= prev.atMillis) {
                continue; // a rate needs two readings
            }
            double seconds = (atMillis - prev.atMillis) / 1000.0;
            anyRate = true;
            double dpRequests = 0;
            double dpErrors = 0;
            Map<Double, Double> dpBuckets = new TreeMap<>();
            for (Map.Entry<String, Double> r : cur.requests.entrySet()) {
                double d = delta(r.getValue(), prev.requests.get(r.getKey()));
                dpRequests += d;
                values.merge("route.rps\u0000" + r.getKey(), d / seconds, Double::sum);
            }
            for (Map.Entry<String, Double> r : cur.errors.entrySet()) {
                double d = delta(r.getValue(), prev.errors.get(r.getKey()));
                dpErrors += d;
                values.merge("route.err\u0000" + r.getKey(), d / seconds, Double::sum);
            }
            for (Map.Entry<String, TreeMap<Double, Double>> r : cur.buckets.entrySet()) {
                TreeMap<Double, Double> before = prev.buckets.get(r.getKey());
                // A histogram is reset as a whole: if any bucket went down, the data plane restarted
                // and the current counts are the increase.
                boolean reset = before != null && r.getValue().entrySet().stream()
                        .anyMatch(b -> b.getValue() < before.getOrDefault(b.getKey(), 0.0));
                Map<Double, Double> increase = routeBuckets.computeIfAbsent(r.getKey(), k -> new TreeMap<>());
                r.getValue().forEach((le, count) -> {
                    double d = before == null || reset ? count : count - before.getOrDefault(le, 0.0);
                    increase.merge(le, d, Double::sum);
                    dpBuckets.merge(le, d, Double::sum);
                });
            }
            values.put("dp.rps\u0000" + node, dpRequests / seconds);
            values.put("dp.err\u0000" + node, dpErrors / seconds);
            double p99 = quantile(0.99, dpBuckets);
            if (!Double.isNaN(p99)) {
                values.put("dp.p99\u0000" + node, p99 * 1000);
            }
            allowed += delta(cur.allowed, prev.allowed) / seconds;
            limited += delta(cur.limited, prev.limited) / seconds;
            fallback += delta(cur.fallback, prev.fallback) / seconds;
            redisFailures += delta(cur.redisFailures, prev.redisFailures) / seconds;
            hits += delta(cur.cacheHits, prev.cacheHits);
            misses += delta(cur.cacheMisses, prev.cacheMisses);
        }
        for (Map.Entry<String, Map<Double, Double>> r : routeBuckets.entrySet()) {
            double p99 = quantile(0.99, r.getValue());
            if (!Double.isNaN(p99)) {
                values.put("route.p99\u0000" + r.getKey(), p99 * 1000);
            }
        }
        breakers.forEach((upstream, state) -> values.put("breaker\u0000" + upstream, state));
        if (anyRate) {
            values.put("ratelimit\u0000allowed/s", allowed);
            values.put("ratelimit\u0000limited/s", limited);
            values.put("ratelimit\u0000local fallback/s", fallback);
            values.put("ratelimit\u0000Redis failures/s", redisFailures);
            if (hits + misses > 0) {
                values.put("cache\u0000hit ratio", hits / (hits + misses));
            }
        }
        for (Cumulative c : now.values()) {
            c.atMillis = atMillis;
        }
        // A data plane whose read failed keeps its last reading (its next rate spans the gap); one
        // not read for a whole window is forgotten, so the map holds at most the window's fleet.
        previous.putAll(now);
        long horizon = atMillis - (long) capacity * interval.toMillis();
        previous.values().removeIf(c -> c.atMillis < horizon);
        append(atMillis, values);
        return point(atMillis, values);
    }

    /** The increase of a counter; one that went down was reset and its value is the increase. */
    static double delta(double current, Double before) {
        if (before == null) {
            return current;
        }
        return current >= before ? current - before : current;
    }

    /**
     * The q-quantile of a histogram's increase (cumulative bucket counts by upper bound, +Inf
     * included), interpolated linearly within the bucket as Prometheus' {@code histogram_quantile}
     * does; NaN when nothing was observed. In the +Inf bucket it is the highest finite bound.
     */
    static double quantile(double q, Map<Double, Double> cumulative) {
        Double total = cumulative.get(Double.POSITIVE_INFINITY);
        if (total == null || !(total > 0)) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> b : new TreeMap<>(cumulative).entrySet()) {
            double le = b.getKey();
            double count = b.getValue();
            if (count >= rank) {
                if (Double.isInfinite(le)) {
                    return lowerBound;
                }
                double inBucket = count - lowerCount;
                return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = le;
            lowerCount = count;
        }
        return lowerBound;
    }

    private void append(long atMillis, Map<String, Double> values) {
        head = (head + 1) % capacity;
        times[head] = atMillis;
        size = Math.min(size + 1, capacity);
        for (double[] s : series.values()) {
            s[head] = Double.NaN;
        }
        for (Map.Entry<String, Double> v : values.entrySet()) {
            double[] s = series.get(v.getKey());
            if (s == null) {
                if (series.size() >= maxSeries) {
                    droppedValues.incrementAndGet();
                    continue;
                }
                s = new double[capacity];
                java.util.Arrays.fill(s, Double.NaN);
                series.put(v.getKey(), s);
            }
            s[head] = v.getValue();
        }
        series.values().removeIf(s -> {
            for (double d : s) {
                if (!Double.isNaN(d)) {
                    return false;
                }
            }
            return true;
        });
    }

    /** One tick as JSON: {@code {"t": epoch seconds, "charts": {chart: {label: value}}}}. */
    private ObjectNode point(long atMillis, Map<String, Double> values) {
        ObjectNode point = JSON.createObjectNode().put("t", atMillis / 1000.0);
        ObjectNode charts = point.putObject("charts");
        for (String chart : CHARTS) {
            charts.putObject(chart);
        }
        for (Map.Entry<String, Double> v : values.entrySet()) {
            if (!series.containsKey(v.getKey())) {
                continue; // over the cap: not in the history either
            }
            String[] key = v.getKey().split("\u0000", 2);
            putNumber((ObjectNode) charts.get(key[0]), key[1], v.getValue());
        }
        point.put("droppedValues", droppedValues.get());
        return point;
    }

    /**
     * The whole window: {@code {"interval": s, "window": s, "times": [...], "charts": {chart: {label:
     * [values, null where none]}}, "droppedValues": n}}, oldest first.
     */
    synchronized ObjectNode history() {
        ObjectNode body = JSON.createObjectNode()
                .put("interval", interval.toMillis() / 1000.0)
                .put("window", capacity * interval.toMillis() / 1000.0);
        ArrayNode t = body.putArray("times");
        int first = (head - size + 1 + capacity) % capacity;
        for (int k = 0; k < size; k++) {
            t.add(times[(first + k) % capacity] / 1000.0);
        }
        ObjectNode charts = body.putObject("charts");
        for (String chart : CHARTS) {
            charts.putObject(chart);
        }
        for (Map.Entry<String, double[]> s : series.entrySet()) {
            String[] key = s.getKey().split("\u0000", 2);
            ArrayNode values = ((ObjectNode) charts.get(key[0])).putArray(key[1]);
            for (int k = 0; k < size; k++) {
                double v = s.getValue()[(first + k) % capacity];
                if (Double.isNaN(v) || Double.isInfinite(v)) {
                    values.addNull();
                } else {
                    values.add(round(v));
                }
            }
        }
        body.put("droppedValues", droppedValues.get());
        return body;
    }

    private static void putNumber(ObjectNode node, String key, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            node.putNull(key);
        } else {
            node.put(key, round(v));
        }
    }

    /** Four significant decimals is all a chart shows; keeps the history event small. */
    private static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }

    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            t = ticker;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                // A tick in flight finishes (its reads are interrupted) before the caller closes the
                // database pool the tick lists data planes from.
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        readers.shutdownNow();
    }

    /** One data plane's counters at one reading, folded over the labels the charts do not show. */
    static final class Cumulative {
        /** Routes of one data plane that are kept; more are folded into one "(other routes)" series. */
        static final int MAX_ROUTES = 200;
        static final String OTHER = "(other routes)";
        long atMillis;
        final Map<String, Double> requests = new HashMap<>();
        final Map<String, Double> errors = new HashMap<>();
        final Map<String, TreeMap<Double, Double>> buckets = new HashMap<>();
        final Map<String, Double> breakers = new HashMap<>();
        private final Set<String> routes = new java.util.HashSet<>();
        double allowed;
        double limited;
        double fallback;
        double redisFailures;
        double cacheHits;
        double cacheMisses;

        static Cumulative of(List<PromText.Sample> samples) throws PromText.MalformedException {
            Cumulative c = new Cumulative();
            for (PromText.Sample s : samples) {
                double v = s.value();
                if (Double.isNaN(v) || v < 0 || Double.isInfinite(v)) {
                    // Counters, buckets and the breaker gauge are never negative or infinite.
                    throw new PromText.MalformedException(0, s.name() + " has the value " + v);
                }
                switch (s.name()) {
                    case REQUESTS -> {
                        String route = c.route(s.label("route"));
                        c.requests.merge(route, v, Double::sum);
                        if (s.label("status_class").equals("5xx")) {
                            c.errors.merge(route, v, Double::sum);
                        }
                    }
                    case DURATION_BUCKET -> {
                        double le = le(s.label("le"));
                        c.buckets.computeIfAbsent(c.route(s.label("route")), k -> new TreeMap<>()).merge(le, v, Double::sum);
                    }
                    case BREAKER_STATE -> {
                        if (v >= 1) {
                            double state = switch (s.label("state")) {
                                case "open" -> 2;
                                case "half_open" -> 1;
                                default -> 0;
                            };
                            String upstream = s.label("upstream");
                            if (c.breakers.size() < MAX_ROUTES || c.breakers.containsKey(upstream)) {
                                c.breakers.merge(upstream, state, Math::max);
                            }
                        }
                    }
                    case RATELIMIT_DECISIONS -> {
                        if (s.label("decision").equals("limited")) {
                            c.limited += v;
                        } else {
                            c.allowed += v;
                        }
                        if (s.label("source").equals("local_fallback")) {
                            c.fallback += v;
                        }
                    }
                    case RATELIMIT_REDIS_FAILURES -> c.redisFailures += v;
                    case CACHE_HITS -> c.cacheHits += v;
                    case CACHE_MISSES -> c.cacheMisses += v;
                    default -> {
                    }
                }
            }
            return c;
        }

        private String route(String route) {
            if (routes.contains(route) || routes.size() < MAX_ROUTES && routes.add(route)) {
                return route;
            }
            return OTHER;
        }

        private static double le(String le) throws PromText.MalformedException {
            if (le.equals("+Inf")) {
                return Double.POSITIVE_INFINITY;
            }
            try {
                double v = Double.parseDouble(le);
                if (Double.isNaN(v) || Double.isInfinite(v) || !le.matches("[0-9.eE+-]{1,32}")) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new PromText.MalformedException(0, "a bucket bound that is not a number");
            }
        }
    }
}
