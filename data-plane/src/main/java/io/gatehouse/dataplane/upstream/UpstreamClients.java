package io.gatehouse.dataplane.upstream;

import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP clients used to reach upstreams, one per distinct connect timeout (Helidon sets the
 * connect timeout per client, not per request). The clients share Helidon's keep-alive connection
 * cache, so connections to a target are reused across requests, routes and snapshot swaps.
 *
 * <p>Clients never follow redirects (the proxy passes 3xx through), never send
 * {@code Expect: 100-continue} on their own and never use a forward proxy. (Helidon still adds a
 * {@code User-Agent} when the client sent none.) Thread-safe.
 */
public final class UpstreamClients {

    private final Map<Duration, WebClient> byConnectTimeout = new ConcurrentHashMap<>();

    /** The client for routes with the given connect timeout. */
    public WebClient client(Duration connectTimeout) {
        return byConnectTimeout.computeIfAbsent(connectTimeout, UpstreamClients::newClient);
    }

    private static WebClient newClient(Duration connectTimeout) {
        return WebClient.builder()
                .connectTimeout(connectTimeout)
                .followRedirects(false)
                .sendExpectContinue(false)
                .keepAlive(true)
                // Default is the system proxy, and with any proxy type but NONE Helidon adds
                // "Proxy-Connection: keep-alive" to every request, even when it connects directly.
                .proxy(Proxy.noProxy())
                .shareConnectionCache(true)
                .build();
    }
}
