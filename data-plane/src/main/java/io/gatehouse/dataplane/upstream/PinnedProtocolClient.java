package io.gatehouse.dataplane.upstream;

import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;
import io.helidon.webclient.api.WebClientCookieManager;
import io.helidon.webclient.spi.Protocol;
import io.helidon.webclient.spi.ProtocolConfig;

import java.util.Objects;
import java.util.concurrent.ExecutorService;

/**
 * A {@link WebClient} whose requests always use one protocol. Needed for h2c with prior
 * knowledge: on plain http Helidon only picks HTTP/2 by itself once it has an HTTP/2 connection
 * to the endpoint, so the first request would find no protocol willing to handle it.
 * Thread-safe (delegates to a thread-safe client).
 */
final class PinnedProtocolClient implements WebClient {

    private final WebClient delegate;
    private final String protocolId;

    PinnedProtocolClient(WebClient delegate, String protocolId) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.protocolId = Objects.requireNonNull(protocolId, "protocolId");
    }

    @Override
    public HttpClientRequest method(Method method) {
        return delegate.method(method).protocolId(protocolId);
    }

    @Override
    public <T, C extends ProtocolConfig> T client(Protocol<T, C> protocol, C protocolConfig) {
        return delegate.client(protocol, protocolConfig);
    }

    @Override
    public <T, C extends ProtocolConfig> T client(Protocol<T, C> protocol) {
        return delegate.client(protocol);
    }

    @Override
    public ExecutorService executor() {
        return delegate.executor();
    }

    @Override
    public WebClientCookieManager cookieManager() {
        return delegate.cookieManager();
    }

    @Override
    public WebClientConfig prototype() {
        return delegate.prototype();
    }

    @Override
    public void closeResource() {
        delegate.closeResource();
    }
}
