package io.gatehouse.cli.traces;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver ({@code POST /v1/traces}, binary protobuf, optionally gzip): what the
 * OpenTelemetry SDKs' {@code http/protobuf} exporter (every Gatehouse process with
 * {@code OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf}) sends. Accepted spans are appended to a
 * {@link TraceFile}. Meant for one operator on one machine: an evaluation, a demo, a debugging
 * session — not a tracing backend.
 *
 * <p>Everything it is sent is treated as hostile, and what it holds is bounded:
 * <ul>
 *   <li>a body (compressed or not) over {@code maxBodyBytes} is refused with 413 — by its
 *       Content-Length before reading it, otherwise after reading at most one byte more;</li>
 *   <li>at most {@link #WORKERS} requests are handled at once, so at most that many bodies are in
 *       memory (a fixed pool, not a thread per connection);</li>
 *   <li>at most {@code maxSpans} spans and {@code maxFileBytes} bytes are written; spans over either
 *       limit are rejected through OTLP's partial success (HTTP 200, so exporters do not retry
 *       what will never fit), as are spans with invalid (wrong-length or all-zero) ids;</li>
 *   <li>unparseable protobuf is 400, other content types or encodings 415, other paths 404, other
 *       methods 405.</li>
 * </ul>
 * There is no authentication: callers decide where it listens ({@code gatehouse traces receive}
 * refuses non-loopback addresses unless told otherwise). Thread-safe.
 */
public final class OtlpHttpReceiver implements AutoCloseable {

    /** Requests handled at once; each holds at most one body in memory. */
    static final int WORKERS = 4;
    public static final String PATH = "/v1/traces";

    static {
        // The JDK server's own limits on slow clients (read at its first use; an operator's -D wins):
        // without them a client that sends a header a byte a minute would hold a worker for ever.
        setIfAbsent("sun.net.httpserver.maxReqTime", "30");
        setIfAbsent("sun.net.httpserver.maxRspTime", "30");
        setIfAbsent("sun.net.httpserver.idleInterval", "30");
    }

    private final HttpServer server;
    private final ExecutorService workers;
    private final Path file;
    private final int maxBodyBytes;
    private final long maxSpans;
    private final long maxFileBytes;
    private final OutputStream out;
    private final AtomicLong spans = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private long written;

    private OtlpHttpReceiver(HttpServer server, ExecutorService workers, Path file, OutputStream out,
                             int maxBodyBytes, long maxSpans, long maxFileBytes, long existingBytes) {
        this.server = server;
        this.workers = workers;
        this.file = file;
        this.out = out;
        this.maxBodyBytes = maxBodyBytes;
        this.maxSpans = maxSpans;
        this.maxFileBytes = maxFileBytes;
        this.written = existingBytes;
    }

    /**
     * Listens on {@code address} (port 0: any free one) and appends to {@code file} (created 0600;
     * an existing file is appended to, and its size counts against {@code maxFileBytes}).
     */
    public static OtlpHttpReceiver start(InetSocketAddress address, Path file, int maxBodyBytes, long maxSpans,
                                         long maxFileBytes) throws IOException {
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
        }
        long existing = Files.size(file);
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.APPEND);
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, Thread.ofPlatform().daemon().name("otlp-", 0).factory());
        OtlpHttpReceiver receiver = new OtlpHttpReceiver(server, workers, file, out, maxBodyBytes, maxSpans,
                maxFileBytes, existing);
        server.setExecutor(workers);
        server.createContext("/", receiver::handle);
        server.start();
        return receiver;
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The file spans are appended to. */
    public Path file() {
        return file;
    }

    /** Spans written so far. */
    public long spans() {
        return spans.get();
    }

    /** Spans refused so far (invalid ids, limits). */
    public long rejected() {
        return rejected.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!PATH.equals(exchange.getRequestURI().getRawPath())) { // null for an opaque URI
                reply(exchange, 404, "only " + PATH + " (OTLP/HTTP traces) is served\n");
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                reply(exchange, 405, "POST only\n");
                return;
            }
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.toLowerCase(Locale.ROOT).split(";", 2)[0].trim().equals("application/x-protobuf")) {
                reply(exchange, 415, "Content-Type must be application/x-protobuf (OTLP/HTTP binary protobuf)\n");
                return;
            }
            String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
            boolean gzip = encoding != null && encoding.trim().equalsIgnoreCase("gzip");
            if (encoding != null && !gzip && !encoding.trim().equalsIgnoreCase("identity")) {
                reply(exchange, 415, "Content-Encoding must be gzip or absent\n");
                return;
            }
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && tooLong(length)) {
                // refused unread: the connection is closed rather than drained, and saying so keeps
                // the client from sending its next request on it
                exchange.getResponseHeaders().set("Connection", "close");
                reply(exchange, 413, "body over " + maxBodyBytes + " bytes\n");
                return;
            }
            byte[] body = readAtMost(exchange.getRequestBody(), maxBodyBytes);
            if (body != null && gzip) {
                // the limit applies after decompression too: a small gzip bomb is refused the same way
                try (InputStream unzip = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    body = readAtMost(unzip, maxBodyBytes);
                } catch (IOException e) {
                    reply(exchange, 400, "not gzip\n");
                    return;
                }
            }
            if (body == null) {
                exchange.getResponseHeaders().set("Connection", "close"); // the rest of the body is not read
                reply(exchange, 413, "body over " + maxBodyBytes + " bytes\n");
                return;
            }
            ExportTraceServiceRequest request;
            try {
                request = ExportTraceServiceRequest.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                reply(exchange, 400, "not an OTLP ExportTraceServiceRequest\n");
                return;
            }
            long refused = store(request);
            ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
            if (refused > 0) {
                response.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(refused)
                        .setErrorMessage("spans with invalid ids, or over this receiver's span or file limit"));
            }
            byte[] bytes = response.build().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        }
    }

    private boolean tooLong(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > maxBodyBytes;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** At most {@code limit} bytes of {@code in}, or null when it has more. */
    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        return bytes.length > limit ? null : bytes;
    }

    /** Appends the acceptable spans of {@code request}; returns how many were refused. */
    private synchronized long store(ExportTraceServiceRequest request) throws IOException {
        long offered = 0;
        long budget = maxSpans - spans.get();
        ExportTraceServiceRequest.Builder kept = ExportTraceServiceRequest.newBuilder();
        long keptSpans = 0;
        for (ResourceSpans resource : request.getResourceSpansList()) {
            ResourceSpans.Builder r = resource.toBuilder().clearScopeSpans();
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                ScopeSpans.Builder s = scope.toBuilder().clearSpans();
                for (Span span : scope.getSpansList()) {
                    offered++;
                    if (keptSpans < budget && ReceivedSpan.valid(span)) {
                        s.addSpans(span);
                        keptSpans++;
                    }
                }
                if (s.getSpansCount() > 0) {
                    r.addScopeSpans(s);
                }
            }
            if (r.getScopeSpansCount() > 0) {
                kept.addResourceSpans(r);
            }
        }
        if (keptSpans > 0) {
            ExportTraceServiceRequest record = kept.build();
            long size = record.getSerializedSize() + 5L; // + the varint length
            if (written + size > maxFileBytes) {
                keptSpans = 0;
            } else {
                record.writeDelimitedTo(out);
                out.flush();
                written += size;
                spans.addAndGet(keptSpans);
            }
        }
        long refused = offered - keptSpans;
        rejected.addAndGet(refused);
        return refused;
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /** Stops listening (requests in progress get a second to finish) and closes the file. */
    @Override
    public void close() throws IOException {
        server.stop(1);
        workers.shutdownNow();
        synchronized (this) {
            out.close();
        }
    }
}
