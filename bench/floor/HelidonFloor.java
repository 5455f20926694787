import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webserver.WebServer;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reference points for bench/run.sh: what Helidon 4 on virtual threads costs before any gateway
 * code runs, measured in the same run as nginx and the data plane. Not part of the product.
 *
 * <pre>
 *   java -cp "data-plane/target/lib/*:DIR" HelidonFloor static PORT
 *       answers the benchmark body itself (no upstream): the web server's own ceiling
 *   java ... HelidonFloor socket PORT UPSTREAM_PORT
 *       forwards GET over one plain blocking socket per client connection (no HTTP client, no
 *       policies, no header handling): the floor of any proxy built on this server
 *   java ... HelidonFloor webclient PORT UPSTREAM_PORT
 *       forwards GET with Helidon's WebClient (keep-alive, defaults) and no policies
 * </pre>
 */
public final class HelidonFloor {

    private static final byte[] BODY = "hello from the benchmark upstream, a small static body of about 100 bytes..........\n"
            .getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        int upstreamPort = args.length > 2 ? Integer.parseInt(args[2]) : -1;
        WebClient client = mode.equals("webclient")
                ? WebClient.builder().baseUri("http://127.0.0.1:" + upstreamPort).build() : null;
        WebServer.builder().host("127.0.0.1").port(port).routing(routing -> routing.any((req, res) -> {
            switch (mode) {
                case "static" -> res.send(BODY);
                // Helidon runs each client connection on its own virtual thread: a thread-local socket
                // is one upstream connection per client connection, like a keep-alive pool that never waits.
                case "socket" -> res.send(SocketHop.CONNECTION.get().get(upstreamPort, req.path().rawPath()));
                case "webclient" -> {
                    try (HttpClientResponse upstream = client.get(req.path().rawPath()).request()) {
                        res.status(upstream.status());
                        res.send(upstream.as(byte[].class));
                    }
                }
                default -> throw new IllegalArgumentException("mode: static, socket or webclient");
            }
        })).build().start();
        System.out.println("HelidonFloor " + mode + " listening on " + port);
    }

    /** A GET over one kept-alive socket; understands only Content-Length responses (nginx's static file). */
    private static final class SocketHop {
        static final ThreadLocal<SocketHop> CONNECTION = ThreadLocal.withInitial(SocketHop::new);

        private final byte[] buffer = new byte[16 * 1024];
        private Socket socket;

        byte[] get(int port, String path) throws IOException {
            if (socket == null) {
                socket = new Socket("127.0.0.1", port);
                socket.setTcpNoDelay(true);
            }
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int filled = 0;
            int headEnd = -1;
            int length = -1;
            while (headEnd < 0 || filled < headEnd + length) {
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    throw new EOFException("upstream closed the connection");
                }
                filled += n;
                if (headEnd < 0) {
                    String head = new String(buffer, 0, filled, StandardCharsets.ISO_8859_1);
                    int end = head.indexOf("\r\n\r\n");
                    if (end >= 0) {
                        headEnd = end + 4;
                        int at = head.toLowerCase().indexOf("content-length:");
                        length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).trim());
                    }
                }
            }
            return Arrays.copyOfRange(buffer, headEnd, headEnd + length);
        }
    }
}
