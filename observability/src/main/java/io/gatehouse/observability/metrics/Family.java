package io.gatehouse.observability.metrics;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One named metric and its children, one per combination of label values. Resolve a child once
 * with {@link #labels} and keep it; the lookup is a concurrent map access. Thread-safe.
 *
 * @param <C> the child type ({@link Counter}, {@link Gauge} or {@link Histogram})
 */
public final class Family<C extends Family.Child> {

    /** Prometheus metric types this registry writes. */
    enum Type {
        COUNTER("counter"), GAUGE("gauge"), HISTOGRAM("histogram");

        final String text;

        Type(String text) {
            this.text = text;
        }
    }

    /** A metric child that can print its samples. */
    public sealed interface Child permits Counter, Gauge, Histogram {
        void writeSamples(Writer out, String name, String labels) throws IOException;
    }

    private final String name;
    private final String help;
    private final Type type;
    private final List<String> labelNames;
    private final Supplier<C> factory;
    private final Map<List<String>, C> children = Metrics.childMap();
    /** Set for a family whose children exist only during a scrape ({@link Metrics#collectedGauge}). */
    private final GaugeCollector collector;

    Family(String name, String help, Type type, List<String> labelNames, Supplier<C> factory,
           GaugeCollector collector) {
        this.name = name;
        this.help = help;
        this.type = type;
        this.labelNames = labelNames;
        this.factory = factory;
        this.collector = collector;
    }

    Type type() {
        return type;
    }

    List<String> labelNames() {
        return labelNames;
    }

    boolean collected() {
        return collector != null;
    }

    GaugeCollector collector() {
        return collector;
    }

    /** The child for these label values (in the order of the label names), created on first use. */
    public C labels(String... values) {
        checkArity(values);
        List<String> key = List.of(values);
        C child = children.get(key);
        return child != null ? child : children.computeIfAbsent(key, k -> factory.get());
    }

    /**
     * Sets the child for these label values to a gauge read from {@code value} at each scrape
     * (replacing any child there); gauge families only. For state kept elsewhere, e.g. breaker states.
     */
    public void labelsFrom(java.util.function.DoubleSupplier value, String... values) {
        if (type != Type.GAUGE) {
            throw new IllegalStateException(name + " is a " + type.text + ", not a gauge");
        }
        checkArity(values);
        @SuppressWarnings("unchecked")
        C gauge = (C) new Gauge(java.util.Objects.requireNonNull(value, "value"));
        children.put(List.of(values), gauge);
    }

    /**
     * Sets the child for these label values to a counter read from {@code value} at each scrape
     * (replacing any child there); counter families only. For counts kept elsewhere, e.g. per reason.
     */
    public void countFrom(java.util.function.LongSupplier value, String... values) {
        if (type != Type.COUNTER) {
            throw new IllegalStateException(name + " is a " + type.text + ", not a counter");
        }
        checkArity(values);
        @SuppressWarnings("unchecked")
        C counter = (C) new Counter(java.util.Objects.requireNonNull(value, "value"));
        children.put(List.of(values), counter);
    }

    /** Forgets a child (e.g. a route removed by a new snapshot). */
    public void remove(String... values) {
        children.remove(List.of(values));
    }

    void writeText(Writer out) throws IOException {
        // The collector runs before this family's first line, so a failing read (a database that is
        // down) never leaves a family with HELP and TYPE but only some of its samples.
        Map<List<String>, ? extends Child> current = collector == null ? children : collect();
        out.write("# HELP " + name + " " + escapeHelp(help) + "\n");
        out.write("# TYPE " + name + " " + type.text + "\n");
        List<Map.Entry<List<String>, ? extends Child>> sorted = new ArrayList<>(current.entrySet());
        sorted.sort((a, b) -> String.join("\u0000", a.getKey()).compareTo(String.join("\u0000", b.getKey())));
        for (Map.Entry<List<String>, ? extends Child> child : sorted) {
            child.getValue().writeSamples(out, name, labelText(child.getKey()));
        }
    }

    /** This scrape's children of a collected family; label values reported twice: the last value wins. */
    private Map<List<String>, Gauge> collect() {
        Map<List<String>, Gauge> collected = new java.util.HashMap<>();
        collector.collect((value, values) -> {
            checkArity(values);
            Gauge gauge = new Gauge();
            gauge.set(value);
            collected.put(List.of(values), gauge);
        });
        return collected;
    }

    private void checkArity(String[] values) {
        if (values.length != labelNames.size()) {
            throw new IllegalArgumentException(name + " takes labels " + labelNames + ", got " + values.length);
        }
    }

    private String labelText(List<String> values) {
        if (values.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(labelNames.get(i)).append("=\"").append(escapeLabel(values.get(i))).append('"');
        }
        return text.toString();
    }

    static String escapeLabel(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String escapeHelp(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Formats a sample value the way Prometheus parses it. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}
