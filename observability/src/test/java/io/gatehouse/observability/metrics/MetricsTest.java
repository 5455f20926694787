package io.gatehouse.observability.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

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

    @Test
    void collectedGaugeChildrenAreTheOnesTheCollectorReportsAtEachScrape() {
        record Node(String id, String region, long version) {
        }
        AtomicReference<List<Node>> fleet = new AtomicReference<>(List.of(new Node("b", "eu", 3), new Node("a", "us", 2)));
        metrics.collectedGauge("gatehouse_acked_version", "Version each node ACKed",
                out -> fleet.get().forEach(n -> out.add(n.version(), n.id(), n.region())), "node", "region");

        assertThat(metrics.scrape()).isEqualTo("""
                # HELP gatehouse_acked_version Version each node ACKed
                # TYPE gatehouse_acked_version gauge
                gatehouse_acked_version{node="a",region="us"} 2
                gatehouse_acked_version{node="b",region="eu"} 3
                """);
        fleet.set(List.of(new Node("c", "eu", 4)));
        assertThat(metrics.scrape()).contains("gatehouse_acked_version{node=\"c\",region=\"eu\"} 4\n")
                .doesNotContain("node=\"a\"").doesNotContain("node=\"b\"");
        fleet.set(List.of());
        assertThat(metrics.scrape()).isEqualTo("""
                # HELP gatehouse_acked_version Version each node ACKed
                # TYPE gatehouse_acked_version gauge
                """);
    }

    @Test
    void collectedGaugeRefusesWrongArityAndSecondRegistrations() {
        metrics.collectedGauge("gatehouse_c", "C", out -> out.add(1, "only-one"), "node", "region");

        assertThatThrownBy(metrics::scrape).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gatehouse_c takes labels [node, region]");
        assertThatThrownBy(() -> metrics.collectedGauge("gatehouse_c", "C", out -> { }, "node", "region"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> metrics.gauge("gatehouse_c", "C", "node", "region"))
                .isInstanceOf(IllegalArgumentException.class);
        metrics.gauge("gatehouse_d", "D", "node");
        assertThatThrownBy(() -> metrics.collectedGauge("gatehouse_d", "D", out -> { }, "node"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCollectorThatFailsFailsTheScrapeAndTheNextScrapeReadsAgain() {
        AtomicInteger reads = new AtomicInteger();
        metrics.collectedGauge("gatehouse_fleet", "Fleet", out -> {
            if (reads.incrementAndGet() == 1) {
                throw new IllegalStateException("database unavailable");
            }
            out.add(1, "n");
        }, "node");

        assertThatThrownBy(metrics::scrape).hasMessage("database unavailable");
        assertThat(metrics.scrape()).contains("gatehouse_fleet{node=\"n\"} 1\n");
    }

    @Test
    void oncePerScrapeReadsOnceForEveryFamilyOfOneScrapeAndAgainForTheNext() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<Integer> fleetSize = metrics.oncePerScrape(reads::incrementAndGet);
        metrics.gauge("gatehouse_a", "A", () -> fleetSize.get());
        metrics.gauge("gatehouse_b", "B", () -> fleetSize.get());
        metrics.collectedGauge("gatehouse_c", "C", out -> out.add(fleetSize.get(), "x"), "label");

        assertThat(metrics.scrape()).contains("gatehouse_a 1\n", "gatehouse_b 1\n", "gatehouse_c{label=\"x\"} 1\n");
        assertThat(metrics.scrape()).contains("gatehouse_a 2\n", "gatehouse_b 2\n", "gatehouse_c{label=\"x\"} 2\n");
        assertThat(fleetSize.get()).as("outside a scrape every get reads").isEqualTo(3);
        assertThat(fleetSize.get()).isEqualTo(4);
    }

    @Test
    void oncePerScrapeMemoisesPerScrapeNotAcrossConcurrentScrapes() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        java.util.concurrent.CountDownLatch bothReading = new java.util.concurrent.CountDownLatch(2);
        Supplier<Integer> value = metrics.oncePerScrape(() -> {
            int n = reads.incrementAndGet();
            bothReading.countDown();
            try {
                bothReading.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return n;
        });
        metrics.gauge("gatehouse_a", "A", () -> value.get());
        metrics.gauge("gatehouse_b", "B", () -> value.get());

        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var first = threads.submit(metrics::scrape);
            var second = threads.submit(metrics::scrape);
            for (String scrape : List.of(first.get(), second.get())) {
                String a = scrape.lines().filter(l -> l.startsWith("gatehouse_a ")).findFirst().orElseThrow();
                String b = scrape.lines().filter(l -> l.startsWith("gatehouse_b ")).findFirst().orElseThrow();
                assertThat(a.substring(12)).as("one scrape sees one read").isEqualTo(b.substring(12));
            }
        }
        assertThat(reads).hasValue(2);
    }
}
