package io.gatehouse.chaos.fleet;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * An HTTP upstream inside the driver (the JDK's server, a virtual thread per exchange): answers
 * every request 200 with a small body naming itself. Faults are put in front of it with a
 * {@link io.gatehouse.chaos.fault.FaultProxy}, so it stays simple and always healthy.
 */
public final class Upstream implements AutoCloseable {

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final LongAdder served = new LongAdder();

    private Upstream(String name) throws IOException {
        this.name = name;
        byte[] body = ("{\"upstream\":\"" + name + "\"}\n").getBytes(StandardCharsets.UTF_8);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
                served.increment();
            }
        });
        server.start();
    }

    public static Upstream start(String name) throws IOException {
        return new Upstream(name);
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests answered so far. */
    public long served() {
        return served.sum();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
