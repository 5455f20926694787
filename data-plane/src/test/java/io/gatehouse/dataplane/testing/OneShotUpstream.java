package io.gatehouse.dataplane.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 upstream that answers one request per connection with a keep-alive response
 * ("200 ok", no Connection header) and then closes the connection, like a server whose idle
 * keep-alive timeout just fired. Counts connections.
 */
public final class OneShotUpstream implements AutoCloseable {

    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread acceptor;

    public OneShotUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> answerOnce(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void answerOnce(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            int matched = 0;
            // read the request head (the tests send no body)
            while (matched < 4) {
                int c = in.read();
                if (c < 0) {
                    return;
                }
                matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
            }
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        } catch (IOException e) {
            // the proxy went away; nothing to do in a test upstream
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
