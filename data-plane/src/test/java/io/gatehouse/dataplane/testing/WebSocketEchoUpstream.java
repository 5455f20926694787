package io.gatehouse.dataplane.testing;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsRouting;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real WebSocket server on loopback (Helidon's) at {@code /ws/echo}: echoes every text and binary
 * fragment as it arrives (keeping fragmentation), answers a close with the same code and reason, and
 * closes with 4001 "server says bye" when sent the text "close-me". Counts upgrade requests' headers
 * by name for assertions ({@link #lastHeader}).
 */
public final class WebSocketEchoUpstream implements AutoCloseable {

    private final WebServer server;
    private final Map<String, String> lastHeaders = new ConcurrentHashMap<>();

    private WebSocketEchoUpstream() {
        WsListener echo = new WsListener() {
            @Override
            public void onMessage(WsSession session, String text, boolean last) {
                if (text.equals("close-me")) {
                    session.close(4001, "server says bye");
                    return;
                }
                session.send(text, last);
            }

            @Override
            public void onMessage(WsSession session, BufferData buffer, boolean last) {
                session.send(buffer, last);
            }

            @Override
            public void onClose(WsSession session, int status, String reason) {
                session.close(status, reason);
            }

            @Override
            public java.util.Optional<io.helidon.http.Headers> onHttpUpgrade(io.helidon.http.HttpPrologue prologue,
                                                                            io.helidon.http.Headers headers) {
                lastHeaders.clear();
                headers.forEach(h -> lastHeaders.put(h.name().toLowerCase(), h.get()));
                return java.util.Optional.empty();
            }
        };
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .addRouting(WsRouting.builder().endpoint("/ws/echo", echo))
                .build()
                .start();
    }

    public static WebSocketEchoUpstream start() {
        return new WebSocketEchoUpstream();
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** A header of the last upgrade request the server accepted, lower-case name; null when absent. */
    public String lastHeader(String name) {
        return lastHeaders.get(name.toLowerCase());
    }

    @Override
    public void close() {
        server.stop();
    }
}
