package io.gatehouse.controlplane.status;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Reads a data plane's request counters from its admin {@code /metrics}: the sum of
 * {@code gatehouse_requests_total} and of its {@code status_class="5xx"} series. Thread-safe.
 */
final class DataPlaneTraffic {

    private static final Logger LOG = Logger.getLogger(DataPlaneTraffic.class.getName());

    /** Cumulative counters at one moment. */
    record Sample(long requests, long errors, long atMillis) {
    }

    private final HttpClient client;
    private final Duration timeout;

    DataPlaneTraffic(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    Optional<Sample> sample(String adminAddress) {
        try {
            HttpResponse<java.util.stream.Stream<String>> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://" + adminAddress + "/metrics")).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                response.body().close();
                return Optional.empty();
            }
            long[] totals = new long[2];
            try (var lines = response.body()) {
                lines.filter(l -> l.startsWith("gatehouse_requests_total{")).forEach(line -> {
                    long value = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    totals[0] += value;
                    if (line.contains("status_class=\"5xx\"")) {
                        totals[1] += value;
                    }
                });
            }
            return Optional.of(new Sample(totals[0], totals[1], System.currentTimeMillis()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            LOG.fine(() -> "reading metrics of " + adminAddress + " failed: " + e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
