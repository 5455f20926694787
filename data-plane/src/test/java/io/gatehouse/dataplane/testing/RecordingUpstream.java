package io.gatehouse.dataplane.testing;

import javax.net.ssl.SSLServerSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw-socket HTTP/1.1 upstream on loopback that records, per connection, the exact bytes it
 * received and the request heads it parsed from them, and answers each request as the test's script
 * says, including ways no server library allows: bytes after the response, a body longer than its
 * Content-Length, interim responses, an answer before the request body was read.
 *
 * <p>A connection parses request heads one after another from wherever its input stands. A script
 * that does not {@link Connection#readBody read} a request's body makes the upstream parse that body
 * as the next request, as a broken server would. A connection ends when the client closes it (then
 * {@link Connection#closedByClient()}) or the script {@link Connection#close() closes} it.
 */
public final class RecordingUpstream implements AutoCloseable {

    /** Answers one request; may write anything, read the body or not, close the connection. */
    @FunctionalInterface
    public interface Script {
        void answer(Request request, Connection connection) throws Exception;
    }

    /** A parsed request head: method, target, headers (lower-case names) and its exact bytes. */
    public record Request(String method, String target, Map<String, String> headers, String head) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One accepted connection: what it received, the requests parsed, and the means to answer. */
    public final class Connection {
        private final int index;
        private final Socket socket;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final InputStream in;
        private final OutputStream out;
        private final List<Request> requests = new CopyOnWriteArrayList<>();
        private volatile boolean closedByClient;
        private volatile boolean closedHere;

        Connection(int index, Socket socket) throws IOException {
            this.index = index;
            this.socket = socket;
            this.in = new BufferedInputStream(new Recording(socket.getInputStream(), received));
            this.out = socket.getOutputStream();
        }

        /** 1-based, in the order connections were accepted. */
        public int index() {
            return index;
        }

        /** Every byte received on this connection so far, as ISO-8859-1 text. */
        public String received() {
            synchronized (received) {
                return received.toString(StandardCharsets.ISO_8859_1);
            }
        }

        /** The request heads parsed on this connection, in order. */
        public List<Request> requests() {
            return List.copyOf(requests);
        }

        /** The targets of {@link #requests()}. */
        public List<String> targets() {
            return requests.stream().map(Request::target).toList();
        }

        /** Whether the client (the proxy) closed the connection while the upstream waited for a request. */
        public boolean closedByClient() {
            return closedByClient;
        }

        /** Reads the body {@code request} declares (Content-Length or chunked); empty when none. */
        public byte[] readBody(Request request) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(request.header("transfer-encoding"))) {
                for (int size = Integer.parseInt(line(in).strip().split(";")[0], 16); size > 0;
                     size = Integer.parseInt(line(in).strip().split(";")[0], 16)) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
                line(in);
            } else if (request.header("content-length") != null) {
                body.write(in.readNBytes(Integer.parseInt(request.header("content-length"))));
            }
            return body.toByteArray();
        }

        /** A complete HTTP/1.1 response with Content-Length, in one write. */
        public void respond(int status, String body, String... headerLines) throws IOException {
            write(response(status, body, headerLines));
        }

        /** Raw bytes (ISO-8859-1), in one write. */
        public void write(String raw) throws IOException {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Closes the connection (FIN; with TLS, close_notify first). */
        public void close() throws IOException {
            closedHere = true;
            socket.close();
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();

    public RecordingUpstream(Script script) throws IOException {
        this(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), script);
    }

    /**
     * On {@code server}, e.g. an {@link SSLServerSocket} for an https upstream (then the bytes recorded
     * are the decrypted ones, and {@link Connection#close()} sends TLS close_notify).
     */
    public RecordingUpstream(ServerSocket server, Script script) {
        this.script = script;
        this.server = server;
        Thread.ofVirtual().name("recording-upstream-accept").start(this::acceptLoop);
    }

    /** The text of a complete HTTP/1.1 response with Content-Length. */
    public static String response(int status, String body, String... headerLines) {
        StringBuilder text = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n");
        for (String line : headerLines) {
            text.append(line).append("\r\n");
        }
        return text.append("\r\n").append(body).toString();
    }

    public String url() {
        return (server instanceof SSLServerSocket ? "https" : "http") + "://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections accepted so far, in order. */
    public List<Connection> connections() {
        return List.copyOf(connections);
    }

    /** Connection number {@code index} (1-based). */
    public Connection connection(int index) {
        return connections.get(index - 1);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Connection connection = new Connection(connections.size() + 1, socket);
                connections.add(connection);
                Thread.ofVirtual().start(() -> serve(connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Connection connection) {
        try {
            while (!connection.closedHere) {
                Request request = readHead(connection.in);
                if (request == null) {
                    connection.closedByClient = true;
                    return;
                }
                connection.requests.add(request);
                script.answer(request, connection);
            }
        } catch (Exception e) {
            connection.closedByClient = !connection.closedHere; // reset by the client, or the script closed it
        } finally {
            closeQuietly(connection.socket);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test socket: nothing to do
        }
    }

    /** The next request head, or null at the end of the stream (also in the middle of a head). */
    private static Request readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        String requestLine = line(in);
        if (requestLine == null) {
            return null;
        }
        head.append(requestLine);
        Map<String, String> headers = new TreeMap<>();
        for (String l = line(in); ; l = line(in)) {
            if (l == null) {
                return null;
            }
            head.append(l);
            if (l.equals("\r\n")) {
                break;
            }
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.merge(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip(),
                        (a, b) -> a + ", " + b);
            }
        }
        String[] parts = requestLine.strip().split(" ");
        return new Request(parts[0], parts.length > 1 ? parts[1] : "", headers, head.toString());
    }

    /** One line including its line break, or null at the end of the stream before the line ended. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            sb.append((char) c);
            if (c == '\n') {
                return sb.toString();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection connection : connections) {
            connection.socket.close();
        }
    }

    /** Copies every byte read into the connection's record. */
    private static final class Recording extends FilterInputStream {
        private final ByteArrayOutputStream record;

        Recording(InputStream in, ByteArrayOutputStream record) {
            super(in);
            this.record = record;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                synchronized (record) {
                    record.write(b);
                }
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                synchronized (record) {
                    record.write(b, off, n);
                }
            }
            return n;
        }
    }
}
