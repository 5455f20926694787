package io.gatehouse.observability.metrics;

/**
 * Produces the children of a collected gauge family ({@link Metrics#collectedGauge}) at scrape
 * time: for state that lives elsewhere and whose label values come and go between scrapes, such as
 * the data planes a control plane reads from its database. Called on the scraping thread, once per
 * scrape; an exception it throws fails that scrape (the caller of {@link Metrics#writeText} sees it).
 */
@FunctionalInterface
public interface GaugeCollector {

    /** Reports every child of this scrape to {@code samples}. */
    void collect(Samples samples);

    /** Where a collector reports children. */
    @FunctionalInterface
    interface Samples {
        /**
         * One child: {@code value} for these label values, in the order of the family's label names.
         * The same label values reported twice in one scrape: the last value wins.
         */
        void add(double value, String... labelValues);
    }
}
