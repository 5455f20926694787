package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The metric registry of a Gatehouse process (data plane admin port, control plane status
 * listener), written in Prometheus text format for {@code /metrics}. Metrics are registered by
 * name, help and label names; a labelled child is resolved once
 * ({@code family.labels("route-a", "GET", "2xx")}) and then updated lock-free
 * ({@link java.util.concurrent.atomic.LongAdder}-based), so hot paths should keep the child
 * (e.g. resolved per route when a snapshot is compiled) rather than look it up per request.
 *
 * <p>Registering an existing name again returns the existing family (same type and labels), so
 * components may register in their constructors. Keep label values low-cardinality: route ids,
 * upstream names, targets, status classes; never raw paths, client addresses or user ids.
 *
 * <p>State kept elsewhere is read at scrape time: {@link #gauge(String, String, DoubleSupplier)},
 * {@link #counterFrom}, {@link Family#labelsFrom}, {@link Family#countFrom} for children known in
 * advance, and {@link #collectedGauge} for a family whose children (label values) are only known
 * then, e.g. from a database. {@link #oncePerScrape} lets several such families share one read.
 *
 * <p>Thread-safe. One instance per process (no static registry); tests create their own.
 */
public final class Metrics {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** Latency buckets in seconds: 1 ms to 10 s. */
    public static final double[] LATENCY_BUCKETS_SECONDS =
            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, Family<?>> families = new ConcurrentSkipListMap<>();
    /** Values read by {@link #oncePerScrape} suppliers during the scrape running on this thread. */
    private final ThreadLocal<Map<Object, Object>> scrapeReads = new ThreadLocal<>();

    /** A counter family; its name must end in {@code _total} (Prometheus convention). */
    public Family<Counter> counter(String name, String help, String... labelNames) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter names end in _total: " + name);
        }
        return register(name, help, Family.Type.COUNTER, labelNames, Counter::new, null);
    }

    /** An unlabelled counter read from {@code value} at each scrape (a count kept elsewhere). */
    public void counterFrom(String name, String help, java.util.function.LongSupplier value) {
        Objects.requireNonNull(value, "value");
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter names end in _total: " + name);
        }
        register(name, help, Family.Type.COUNTER, new String[0], () -> new Counter(value), null).labels();
    }

    /** A gauge family whose children are set explicitly. */
    public Family<Gauge> gauge(String name, String help, String... labelNames) {
        return register(name, help, Family.Type.GAUGE, labelNames, Gauge::new, null);
    }

    /** An unlabelled gauge read from {@code value} at each scrape (e.g. a queue size). */
    public void gauge(String name, String help, DoubleSupplier value) {
        Objects.requireNonNull(value, "value");
        register(name, help, Family.Type.GAUGE, new String[0], () -> new Gauge(value), null).labels();
    }

    /**
     * A gauge family whose children exist only during a scrape: {@code collector} reports them each
     * time (see {@link GaugeCollector}), so label values may come and go between scrapes. Registered
     * once: a second registration of the name, collected or not, is refused.
     */
    public void collectedGauge(String name, String help, GaugeCollector collector, String... labelNames) {
        Objects.requireNonNull(collector, "collector");
        register(name, help, Family.Type.GAUGE, labelNames, () -> {
            throw new IllegalStateException(name + " is collected at scrape time; it has no children to resolve");
        }, collector);
    }

    /**
     * {@code read} memoised for the length of one scrape: within one {@link #writeText} call the
     * first {@code get()} reads and later ones, from any family, get the same value; outside a scrape
     * every {@code get()} reads. For families computed from one source (one database query) that must
     * agree with each other and should cost one read. A {@code null} value is not memoised.
     */
    public <T> Supplier<T> oncePerScrape(Supplier<T> read) {
        Objects.requireNonNull(read, "read");
        Object key = new Object();
        return () -> {
            Map<Object, Object> reads = scrapeReads.get();
            if (reads == null) {
                return read.get();
            }
            @SuppressWarnings("unchecked")
            T value = (T) reads.computeIfAbsent(key, k -> read.get());
            return value;
        };
    }

    /** A histogram family with the given upper bounds (ascending; +Inf is implicit). */
    public Family<Histogram> histogram(String name, String help, double[] buckets, String... labelNames) {
        double[] bounds = buckets.clone();
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) {
                throw new IllegalArgumentException("buckets must ascend: " + Arrays.toString(buckets));
            }
        }
        return register(name, help, Family.Type.HISTOGRAM, labelNames, () -> new Histogram(bounds), null);
    }

    /**
     * Writes every metric in Prometheus text exposition format 0.0.4, sorted by name. An exception
     * from a scrape-time read (a collector, a supplier) propagates after what was written so far;
     * {@link #scrape()} then returns nothing.
     */
    public void writeText(Writer out) {
        boolean outermost = scrapeReads.get() == null;
        if (outermost) {
            scrapeReads.set(new HashMap<>());
        }
        try {
            for (Family<?> family : families.values()) {
                family.writeText(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (outermost) {
                scrapeReads.remove();
            }
        }
    }

    /** The exposition as a string (tests, small registries). */
    public String scrape() {
        java.io.StringWriter out = new java.io.StringWriter(4096);
        writeText(out);
        return out.toString();
    }

    private <C extends Family.Child> Family<C> register(String name, String help, Family.Type type,
                                                          String[] labelNames, Supplier<C> factory,
                                                          GaugeCollector collector) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name: " + name);
        }
        for (String label : labelNames) {
            if (!LABEL.matcher(label).matches() || label.startsWith("__") || label.equals("le")) {
                throw new IllegalArgumentException("invalid label name: " + label);
            }
        }
        Family<?> family = families.computeIfAbsent(name,
                n -> new Family<>(n, help, type, List.of(labelNames), factory, collector));
        if (family.collector() != collector) { // a collector belongs to one registration
            throw new IllegalArgumentException("metric " + name + " is already registered"
                    + (family.collected() ? " as a collected gauge" : ""));
        }
        if (family.type() != type || !family.labelNames().equals(List.of(labelNames))) {
            throw new IllegalArgumentException("metric " + name + " already registered as " + family.type()
                    + " with labels " + family.labelNames());
        }
        @SuppressWarnings("unchecked")
        Family<C> typed = (Family<C>) family;
        return typed;
    }

    /** Children by label values, for {@link Family}. */
    static <C> Map<List<String>, C> childMap() {
        return new ConcurrentHashMap<>();
    }
}
