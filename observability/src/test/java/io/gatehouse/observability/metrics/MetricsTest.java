package io.gatehouse.observability.metrics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsTest {

    private final Metrics metrics = new Metrics();

    @Test
    void writesCountersAndGaugesInPrometheusTextFormat() {
        Family<Counter> hits = metrics.counter("gatehouse_cache_lookups_total", "Cache lookups", "route", "outcome");
        hits.labels("r1", "hit").inc();
        hits.labels("r1", "hit").add(2);
        hits.labels("r1", "miss").inc();
        metrics.gauge("gatehouse_circuit_breaker_state", "0 closed, 2 open", "upstream").labels("api").set(2);
        AtomicLong queued = new AtomicLong(7);
        metrics.gauge("gatehouse_queue_size", "Queued", queued::get);

        assertThat(metrics.scrape()).isEqualTo("""
                # HELP gatehouse_cache_lookups_total Cache lookups
                # TYPE gatehouse_cache_lookups_total counter
                gatehouse_cache_lookups_total{route="r1",outcome="hit"} 3
                gatehouse_cache_lookups_total{route="r1",outcome="miss"} 1
                # HELP gatehouse_circuit_breaker_state 0 closed, 2 open
                # TYPE gatehouse_circuit_breaker_state gauge
                gatehouse_circuit_breaker_state{upstream="api"} 2
                # HELP gatehouse_queue_size Queued
                # TYPE gatehouse_queue_size gauge
                gatehouse_queue_size 7
                """);
    }

    @Test
    void labelledCounterChildrenCanBeReadFromCountsKeptElsewhere() {
        AtomicLong unread = new AtomicLong(3);
        Family<Counter> discarded = metrics.counter("gatehouse_discarded_total", "Discarded", "reason");
        discarded.countFrom(unread::get, "unread_bytes");
        discarded.countFrom(() -> 0, "early_response");
        unread.incrementAndGet();

        assertThat(metrics.scrape()).isEqualTo("""
                # HELP gatehouse_discarded_total Discarded
                # TYPE gatehouse_discarded_total counter
                gatehouse_discarded_total{reason="early_response"} 0
                gatehouse_discarded_total{reason="unread_bytes"} 4
                """);
        assertThatThrownBy(() -> metrics.gauge("gatehouse_g", "G", "reason").countFrom(() -> 1, "x"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> discarded.countFrom(() -> 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void histogramBucketsAreCumulativeWithSumAndCount() {
        Histogram latency = metrics.histogram("gatehouse_x_seconds", "X", new double[] {0.1, 1}, "route")
                .labels("r");
        latency.observe(0.05);
        latency.observe(0.5);
        latency.observe(0.5);
        latency.observeNanos(3_000_000_000L);

        assertThat(metrics.scrape()).contains(
                "gatehouse_x_seconds_bucket{route=\"r\",le=\"0.1\"} 1\n",
                "gatehouse_x_seconds_bucket{route=\"r\",le=\"1\"} 3\n",
                "gatehouse_x_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n",
                "gatehouse_x_seconds_sum{route=\"r\"} 4.05\n",
                "gatehouse_x_seconds_count{route=\"r\"} 4\n");
    }

    @Test
    void escapesLabelValues() {
        metrics.counter("gatehouse_odd_total", "Odd", "route").labels("a\"b\\c\nd").inc();

        assertThat(metrics.scrape()).contains("gatehouse_odd_total{route=\"a\\\"b\\\\c\\nd\"} 1");
    }

    @Test
    void registeringTheSameMetricTwiceReturnsTheSameFamily() {
        Family<Counter> first = metrics.counter("gatehouse_a_total", "A", "route");
        Family<Counter> second = metrics.counter("gatehouse_a_total", "A", "route");
        first.labels("r").inc();

        assertThat(second).isSameAs(first);
        assertThat(second.labels("r").value()).isEqualTo(1);
    }

    @Test
    void rejectsConflictingOrInvalidRegistrations() {
        metrics.counter("gatehouse_a_total", "A", "route");

        assertThatThrownBy(() -> metrics.counter("gatehouse_a_total", "A", "upstream"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> metrics.gauge("gatehouse_a_total", "A", "route"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> metrics.counter("gatehouse_requests", "no _total suffix"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> metrics.counter("bad-name_total", "dash"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> metrics.counter("gatehouse_b_total", "B", "route").labels("r", "extra"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
