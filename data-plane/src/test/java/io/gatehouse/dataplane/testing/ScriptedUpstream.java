package io.gatehouse.dataplane.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw-socket HTTP/1.1 upstream on loopback whose behaviour per request is a script: answer,
 * stall, reset the connection, drip a body, or wait for the client to go away (and record it).
 * Serves keep-alive connections until the script says stop. For upstreams that fail in ways a real
 * server library would not let a test express.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** What to do with one request. Return true to keep the connection for more requests. */
    @FunctionalInterface
    public interface Script {
        boolean serve(Request request, Connection connection) throws IOException, InterruptedException;
    }

    /**
     * A parsed request: method, target, headers (lower-case names, joined values), body, and the
     * request line and header lines exactly as they arrived (ISO-8859-1, with their CRLFs).
     */
    public record Request(String method, String target, Map<String, String> headers, byte[] body, String head) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The connection a script answers on. */
    public final class Connection {
        private final Socket socket;
        private final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        /** A complete response with Content-Length. */
        public void respond(int status, String body, String... headerLines) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Length: " + bytes.length + "\r\n");
            for (String line : headerLines) {
                head.append(line).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.flush();
        }

        /** Raw bytes, flushed. */
        public void write(String raw) throws IOException {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Closes the connection normally (FIN), as a server's keep-alive timeout does. */
        public void close() throws IOException {
            socket.close();
        }

        /** Closes with a TCP RST (SO_LINGER 0). */
        public void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /**
         * Blocks until the client closes the connection (or {@code max} passes); records a
         * disconnect when it did. Returns whether it did.
         */
        public boolean awaitClientGone(Duration max) throws IOException {
            socket.setSoTimeout((int) max.toMillis());
            try {
                while (socket.getInputStream().read() >= 0) {
                    // discard
                }
                clientGone.countDown();
                disconnects.incrementAndGet();
                return true;
            } catch (SocketException e) {
                clientGone.countDown();
                disconnects.incrementAndGet();
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            }
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger disconnects = new AtomicInteger();
    private final AtomicInteger closedBetweenRequests = new AtomicInteger();
    private final CountDownLatch clientGone = new CountDownLatch(1);

    public ScriptedUpstream(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Requests read so far. */
    public int requests() {
        return requests.get();
    }

    public int connections() {
        return connections.get();
    }

    /** Connections whose client went away while a script awaited it. */
    public int disconnects() {
        return disconnects.get();
    }

    /** Connections the client closed while the upstream waited for their next request (EOF). */
    public int closedBetweenRequests() {
        return closedBetweenRequests.get();
    }

    /** Waits until a script saw its client go away. */
    public boolean awaitDisconnect(Duration max) throws InterruptedException {
        return clientGone.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            Connection connection = new Connection(socket);
            while (true) {
                Request request = readRequest(in);
                if (request == null) {
                    closedBetweenRequests.incrementAndGet();
                    return;
                }
                requests.incrementAndGet();
                if (!script.serve(request, connection)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client (the proxy) went away or the script closed the socket
        }
    }

    private static Request readRequest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        String requestLine = line(in, head);
        if (requestLine == null || requestLine.isEmpty()) {
            return null;
        }
        Map<String, String> headers = new TreeMap<>();
        for (String l = line(in, head); l != null && !l.isEmpty(); l = line(in, head)) {
            int colon = l.indexOf(':');
            headers.merge(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line(in).split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) {
                body.write(in.readNBytes(size));
                line(in);
            }
            line(in);
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        }
        String[] parts = requestLine.split(" ");
        return new Request(parts[0], parts[1], headers, body.toByteArray(), head.toString());
    }

    private static String line(InputStream in) throws IOException {
        return line(in, new StringBuilder());
    }

    /** One line without its line end; the raw bytes, line end included, are appended to {@code raw}. */
    private static String line(InputStream in, StringBuilder raw) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            raw.append((char) c);
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
