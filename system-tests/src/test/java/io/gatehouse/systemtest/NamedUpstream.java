package io.gatehouse.systemtest;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on loopback that answers every request with its own name, so a test can
 * tell which upstream a data plane forwarded to; {@link #failing} answers 503 instead (a broken
 * deployment behind a route).
 */
final class NamedUpstream implements AutoCloseable {
    private final HttpServer server;

    private NamedUpstream(HttpServer server) {
        this.server = server;
    }

    static NamedUpstream start(String name) throws IOException {
        return start(name, 200);
    }

    /** Answers every request 503 with its name as the body. */
    static NamedUpstream failing(String name) throws IOException {
        return start(name, 503);
    }

    private static NamedUpstream start(String name, int status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return new NamedUpstream(server);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
