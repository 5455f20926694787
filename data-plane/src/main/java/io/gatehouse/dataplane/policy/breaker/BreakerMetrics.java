package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Gauge;
import io.gatehouse.observability.metrics.Metrics;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The circuit breaker series on /metrics, labelled by upstream name only (plus the state, three
 * values):
 *
 * <ul>
 *   <li>{@code gatehouse_circuit_breaker_state{upstream,state}}: one series per state, 1 for the
 *       state the breaker is in and 0 for the other two (the Prometheus "state set" pattern, so
 *       {@code gatehouse_circuit_breaker_state{state="open"} == 1} alerts and no one has to know an
 *       enum's numbering). Read at each scrape; an open breaker whose open period has passed shows
 *       {@code half_open}, what the next call will find.</li>
 *   <li>{@code gatehouse_circuit_breaker_transitions_total{upstream,state}}: changes into each state.</li>
 *   <li>{@code gatehouse_circuit_breaker_rejections_total{upstream}}: calls refused with 503 circuit_open.</li>
 * </ul>
 *
 * Series appear when an upstream's breaker is created and disappear when {@link #forget} is called
 * for it (upstream or its breaker removed by a new snapshot). Thread-safe.
 */
final class BreakerMetrics {

    private static final CircuitBreaker.State[] STATES = CircuitBreaker.State.values();

    private final Family<Gauge> state;
    private final Family<Counter> transitions;
    private final Family<Counter> rejections;

    BreakerMetrics(Metrics metrics) {
        state = metrics.gauge("gatehouse_circuit_breaker_state",
                "1 for the state an upstream's circuit breaker is in (closed, open, half_open), else 0",
                "upstream", "state");
        transitions = metrics.counter("gatehouse_circuit_breaker_transitions_total",
                "Circuit breaker changes into the given state", "upstream", "state");
        rejections = metrics.counter("gatehouse_circuit_breaker_rejections_total",
                "Calls refused with 503 circuit_open because the upstream's breaker was open", "upstream");
    }

    /**
     * Exports the state of {@code upstream}'s breaker as {@code breakers} holds it at scrape time,
     * and returns the transition counter to give that breaker. Idempotent.
     */
    Consumer<CircuitBreaker.State> track(String upstream, Function<String, CircuitBreaker> breakers) {
        Counter[] entered = new Counter[STATES.length];
        for (CircuitBreaker.State s : STATES) {
            state.labelsFrom(() -> {
                CircuitBreaker breaker = breakers.apply(upstream);
                return breaker != null && breaker.stateAt(System.nanoTime()) == s ? 1 : 0;
            }, upstream, label(s));
            entered[s.ordinal()] = transitions.labels(upstream, label(s));
        }
        rejections.labels(upstream); // exported as 0 from the start, so rate() sees the first rejection
        return next -> entered[next.ordinal()].inc();
    }

    void rejected(String upstream) {
        rejections.labels(upstream).inc();
    }

    /** Stops exporting {@code upstream}'s series. */
    void forget(String upstream) {
        for (CircuitBreaker.State s : STATES) {
            state.remove(upstream, label(s));
            transitions.remove(upstream, label(s));
        }
        rejections.remove(upstream);
    }

    private static String label(CircuitBreaker.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
