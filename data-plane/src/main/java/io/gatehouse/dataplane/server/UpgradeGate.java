package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.proxy.WebSocketTunnels;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.ProtocolUpgradeHandler;

/**
 * The proxy handler as registered on the client routing: for ordinary requests it is the handler;
 * for WebSocket upgrade requests Helidon runs it before switching protocols (a "protocol upgrade"
 * handler), so upgrades pass the same policy chain. An upgrade the handler answered itself (an
 * error, a refusal) drops any tunnel prepared for it. Thread-safe.
 */
final class UpgradeGate implements ProtocolUpgradeHandler {

    private final Handler handler;
    private final WebSocketTunnels tunnels;

    UpgradeGate(Handler handler, WebSocketTunnels tunnels) {
        this.handler = handler;
        this.tunnels = tunnels;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) throws Exception {
        handler.handle(request, response);
    }

    @Override
    public void handleProtocolUpgrade(ServerRequest request, ServerResponse response) throws Exception {
        try {
            handler.handle(request, response);
        } finally {
            if (response.isSent()) {
                tunnels.cancelUpgrade();
            }
        }
    }
}
