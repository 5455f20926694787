package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

/**
 * The data plane's metric registry, exposed in Prometheus text format on the admin port's
 * {@code /metrics}. Metrics are registered by name, help and label names; a labelled child is
 * resolved once ({@code family.labels("route-a", "GET", "2xx")}) and then updated lock-free
 * ({@link java.util.concurrent.atomic.LongAdder}-based), so hot paths should keep the child
 * (e.g. resolved per route when a snapshot is compiled) rather than look it up per request.
 *
 * <p>Registering an existing name again returns the existing family (same type and labels), so
 * components may register in their constructors. Keep label values low-cardinality: route ids,
 * upstream names, targets, status classes; never raw paths, client addresses or user ids.
 *
 * <p>Thread-safe. One instance per data plane (no static registry); tests create their own.
 */
public final class Metrics {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** Latency buckets in seconds: 1 ms to 10 s. */
    public static final double[] LATENCY_BUCKETS_SECONDS =
            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Map<String, Family<?>> families = new ConcurrentSkipListMap<>();

    /** A counter family; its name must end in {@code _total} (Prometheus convention). */
    public Family<Counter> counter(String name, String help, String... labelNames) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter names end in _total: " + name);
        }
        return register(name, help, Family.Type.COUNTER, labelNames, null, Counter::new);
    }

    /** An unlabelled counter read from {@code value} at each scrape (a count kept elsewhere). */
    public void counterFrom(String name, String help, java.util.function.LongSupplier value) {
        Objects.requireNonNull(value, "value");
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter names end in _total: " + name);
        }
        register(name, help, Family.Type.COUNTER, new String[0], null, () -> new Counter(value)).labels();
    }

    /** A gauge family whose children are set explicitly. */
    public Family<Gauge> gauge(String name, String help, String... labelNames) {
        return register(name, help, Family.Type.GAUGE, labelNames, null, Gauge::new);
    }

    /** An unlabelled gauge read from {@code value} at each scrape (e.g. a queue size). */
    public void gauge(String name, String help, DoubleSupplier value) {
        Objects.requireNonNull(value, "value");
        register(name, help, Family.Type.GAUGE, new String[0], null, () -> new Gauge(value)).labels();
    }

    /** A histogram family with the given upper bounds (ascending; +Inf is implicit). */
    public Family<Histogram> histogram(String name, String help, double[] buckets, String... labelNames) {
        double[] bounds = buckets.clone();
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) {
                throw new IllegalArgumentException("buckets must ascend: " + Arrays.toString(buckets));
            }
        }
        return register(name, help, Family.Type.HISTOGRAM, labelNames, bounds, () -> new Histogram(bounds));
    }

    /** Writes every metric in Prometheus text exposition format 0.0.4, sorted by name. */
    public void writeText(Writer out) {
        try {
            for (Family<?> family : families.values()) {
                family.writeText(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The exposition as a string (tests, small registries). */
    public String scrape() {
        java.io.StringWriter out = new java.io.StringWriter(4096);
        writeText(out);
        return out.toString();
    }

    private <C extends Family.Child> Family<C> register(String name, String help, Family.Type type,
                                                          String[] labelNames, double[] buckets,
                                                          java.util.function.Supplier<C> factory) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name: " + name);
        }
        for (String label : labelNames) {
            if (!LABEL.matcher(label).matches() || label.startsWith("__") || label.equals("le")) {
                throw new IllegalArgumentException("invalid label name: " + label);
            }
        }
        Family<?> family = families.computeIfAbsent(name,
                n -> new Family<>(n, help, type, List.of(labelNames), factory));
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
