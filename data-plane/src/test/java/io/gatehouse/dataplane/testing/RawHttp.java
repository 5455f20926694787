package io.gatehouse.dataplane.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal HTTP/1.1 client over a plain socket, for requests the JDK clients refuse to send
 * (Connection, Keep-Alive, TE, Upgrade, Proxy-Authorization...). Sends {@code Connection: close}
 * semantics by closing after one exchange; decodes chunked responses.
 */
public final class RawHttp {

    /** A response: status, headers (lower-case names, all values) and body. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.getFirst();
        }

        public boolean hasHeader(String name) {
            return headers.containsKey(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private RawHttp() {
    }

    /** Sends {@code head} (request line + headers, lines separated by \r\n, no final blank line) and body. */
    public static Response exchange(int port, String head, byte[] body) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            return read(socket.getInputStream(), false);
        }
    }

    /**
     * Sends each request head (no bodies) in turn on one keep-alive connection and reads each response;
     * the response to a HEAD request is read as headers only (RFC 9110 §9.3.2), so stray body bytes
     * after it would garble the next response.
     */
    public static List<Response> exchangeOnOneConnection(int port, String... heads) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            List<Response> responses = new ArrayList<>();
            for (String head : heads) {
                socket.getOutputStream().write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                responses.add(read(socket.getInputStream(), head.startsWith("HEAD ")));
            }
            return responses;
        }
    }

    private static Response read(InputStream in, boolean headersOnly) throws IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, List<String>> headers = new TreeMap<>();
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            headers.computeIfAbsent(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(l.substring(colon + 1).strip());
        }
        if (headersOnly) {
            return new Response(status, headers, new byte[0]);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        if (te != null && te.getFirst().equalsIgnoreCase("chunked")) {
            for (int size = Integer.parseInt(line(in).split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) {
                body.write(in.readNBytes(size));
                line(in);
            }
        } else if (cl != null) {
            body.write(in.readNBytes(Integer.parseInt(cl.getFirst())));
        } else if (status >= 200 && status != 204 && status != 304) {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toByteArray());
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
