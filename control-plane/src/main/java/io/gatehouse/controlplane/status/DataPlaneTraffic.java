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

    /** The most of a data plane's /metrics read (a data plane's is a few tens of KiB). */
    static final int MAX_BYTES = 1024 * 1024;
    /** host:port with a DNS name, an IPv4 literal or a bracketed IPv6 literal; nothing else (no path, no user info). */
    private static final java.util.regex.Pattern HOST_PORT = java.util.regex.Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}");

    private final HttpClient client;
    private final Duration timeout;
    private final int maxBytes;

    DataPlaneTraffic(Duration timeout, int maxBytes) {
        this.timeout = timeout;
        this.maxBytes = maxBytes;
        // Redirects are never followed (HttpClient's default NEVER, stated for the reader).
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    static boolean isHostPort(String address) {
        if (!HOST_PORT.matcher(address).matches()) {
            return false;
        }
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        return port > 0 && port <= 65535;
    }

    Optional<Sample> sample(String adminAddress) {
        Optional<String> body = fetch(adminAddress);
        if (body.isEmpty()) {
            return Optional.empty();
        }
        long[] totals = new long[2];
        try (var lines = body.get().lines()) {
            lines.filter(l -> l.startsWith("gatehouse_requests_total{")).forEach(line -> {
                long value = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                totals[0] += value;
                if (line.contains("status_class=\"5xx\"")) {
                    totals[1] += value;
                }
            });
        } catch (NumberFormatException e) {
            LOG.fine(() -> "metrics of " + adminAddress + " unreadable: " + e);
            return Optional.empty();
        }
        return Optional.of(new Sample(totals[0], totals[1], System.currentTimeMillis()));
    }

    /**
     * The body of {@code http://ADDRESS/metrics}: only for a plain host:port, only a 200, at most
     * {@code maxBytes} (a larger body is refused whole, not cut), within the timeout. Empty on any
     * failure; the reason is logged without the body.
     */
    Optional<String> fetch(String adminAddress) {
        if (!isHostPort(adminAddress)) {
            return Optional.empty();
        }
        try {
            HttpResponse<java.io.InputStream> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://" + adminAddress + "/metrics")).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (java.io.InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    LOG.fine(() -> "metrics of " + adminAddress + ": HTTP " + response.statusCode());
                    return Optional.empty();
                }
                body = in.readNBytes(maxBytes + 1);
            }
            if (body.length > maxBytes) {
                LOG.warning(() -> "metrics of " + adminAddress + " exceed " + maxBytes + " bytes; not read");
                return Optional.empty();
            }
            return Optional.of(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException | IllegalArgumentException e) {
            LOG.fine(() -> "reading metrics of " + adminAddress + " failed: " + e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
