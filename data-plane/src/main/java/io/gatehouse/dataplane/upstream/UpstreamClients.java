package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.helidon.common.tls.Tls;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP clients used to reach upstreams, one per distinct (protocol, TLS trust, connect
 * timeout): Helidon sets those per client, not per request. HTTP/1.1 clients share Helidon's
 * keep-alive connection cache, so connections to a target are reused across requests, routes and
 * snapshot swaps; HTTP/2 clients multiplex requests over one connection per target.
 *
 * <p>Clients never follow redirects (the proxy passes 3xx through), never send
 * {@code Expect: 100-continue} on their own and never use a forward proxy. (Helidon still adds a
 * {@code User-Agent} when the client sent none.) Thread-safe.
 */
public final class UpstreamClients {

    private record Key(ClientSettings settings, Duration connectTimeout) {
    }

    private final Map<Key, WebClient> clients = new ConcurrentHashMap<>();

    /** The HTTP/1.1 client (default trust) for routes with the given connect timeout. */
    public WebClient client(Duration connectTimeout) {
        return client(ClientSettings.DEFAULT, connectTimeout);
    }

    /** The client for an upstream with {@code settings} on a route with the given connect timeout. */
    public WebClient client(ClientSettings settings, Duration connectTimeout) {
        return clients.computeIfAbsent(new Key(settings, connectTimeout), UpstreamClients::newClient);
    }

    private static WebClient newClient(Key key) {
        io.helidon.webclient.api.WebClientConfig.Builder builder = WebClient.builder()
                .connectTimeout(key.connectTimeout())
                .followRedirects(false)
                .sendExpectContinue(false)
                .keepAlive(true)
                // Default is the system proxy, and with any proxy type but NONE Helidon adds
                // "Proxy-Connection: keep-alive" to every request, even when it connects directly.
                .proxy(Proxy.noProxy())
                .shareConnectionCache(true);
        ClientSettings settings = key.settings();
        if (settings.protocol() == UpstreamProtocol.HTTP1) {
            // Without a preference Helidon would try an h2c upgrade on plain http once HTTP/2 is on the classpath.
            builder.protocolPreference(List.of("http/1.1"));
        } else {
            builder.protocolPreference(List.of("h2"))
                    .addProtocolConfig(Http2ClientProtocolConfig.builder()
                            .priorKnowledge(settings.protocol() == UpstreamProtocol.H2C)
                            .build());
        }
        if (!settings.caPem().isEmpty()) {
            io.helidon.common.tls.TlsConfig.Builder tls = Tls.builder()
                    .trust(settings.caCertificates())
                    .endpointIdentificationAlgorithm("HTTPS");
            if (settings.protocol() == UpstreamProtocol.H2) {
                tls.applicationProtocols(List.of("h2"));
            }
            builder.tls(tls.build());
        } else if (settings.protocol() == UpstreamProtocol.H2) {
            builder.tls(Tls.builder().applicationProtocols(List.of("h2")).build());
        }
        WebClient client = builder.build();
        return settings.protocol() == UpstreamProtocol.H2C ? new PinnedProtocolClient(client, "h2") : client;
    }
}
