package io.gatehouse.dataplane.server;

import io.helidon.common.Size;
import io.helidon.http.HttpLogConfig;
import io.helidon.http.RequestedUriDiscoveryContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;

import java.util.List;
import java.util.function.IntSupplier;

/**
 * The client listener's HTTP/1 settings with a header-section cap that follows the snapshot.
 *
 * <p>Helidon reads {@link #maxHeadersSize()} once per connection, when the connection is created,
 * and stops reading a header section at that size. Helidon's listener settings are fixed when the
 * server starts, so a fixed cap would have to be the largest limit the config may ever ask for
 * (1 MiB): every connection could make the gateway buffer 1 MiB of headers before the configured
 * limit (16 KiB by default) was even looked at. Answering with the snapshot's limit instead bounds
 * what a new connection can make the parser hold by the limit the operator configured; a snapshot
 * that changes it applies to connections opened after it (older ones keep the limit they started
 * with, and {@code RequestHygienePolicy} still checks every request against the current one).
 *
 * <p>Every other setting is the delegate's. Helidon's {@code Http1Config} is an interface; when a
 * Helidon upgrade adds a method, this class stops compiling instead of silently answering a
 * default.
 */
final class SnapshotHeaderLimit implements Http1Config {

    private final Http1Config delegate;
    private final IntSupplier maxHeaderBytes;

    /**
     * @param delegate       the listener's settings
     * @param maxHeaderBytes the limit in force now (read once per new connection; must be cheap)
     */
    SnapshotHeaderLimit(Http1Config delegate, IntSupplier maxHeaderBytes) {
        this.delegate = delegate;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    public int maxHeadersSize() {
        return Math.min(delegate.maxHeadersSize(), maxHeaderBytes.getAsInt());
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public int maxPrologueLength() {
        return delegate.maxPrologueLength();
    }

    @Override
    public boolean validateRequestHostHeader() {
        return delegate.validateRequestHostHeader();
    }

    @Override
    public boolean sendKeepAliveHeader() {
        return delegate.sendKeepAliveHeader();
    }

    @Override
    public boolean validatePrologue() {
        return delegate.validatePrologue();
    }

    @Override
    public boolean validatePath() {
        return delegate.validatePath();
    }

    @Override
    public boolean continueImmediately() {
        return delegate.continueImmediately();
    }

    @Override
    public RequestedUriDiscoveryContext requestedUriDiscovery() {
        return delegate.requestedUriDiscovery();
    }

    @Override
    public List<Http1ConnectionListener> sendListeners() {
        return delegate.sendListeners();
    }

    @Override
    public List<Http1ConnectionListener> receiveListeners() {
        return delegate.receiveListeners();
    }

    @Override
    public Http1ConnectionListener compositeSendListener() {
        return delegate.compositeSendListener();
    }

    @Override
    public Http1ConnectionListener compositeReceiveListener() {
        return delegate.compositeReceiveListener();
    }

    @Override
    public boolean receiveLog() {
        return delegate.receiveLog();
    }

    @Override
    public boolean sendLog() {
        return delegate.sendLog();
    }

    @Override
    public Size maxBufferedEntitySize() {
        return delegate.maxBufferedEntitySize();
    }

    @Override
    public boolean validateRequestHeaders() {
        return delegate.validateRequestHeaders();
    }

    @Override
    public boolean validateResponseHeaders() {
        return delegate.validateResponseHeaders();
    }

    @Override
    public HttpLogConfig log() {
        return delegate.log();
    }

    @Override
    public String toString() {
        return delegate + " (max headers size from the snapshot)";
    }
}
