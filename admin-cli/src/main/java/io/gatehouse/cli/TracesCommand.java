package io.gatehouse.cli;

import io.gatehouse.cli.traces.OtlpHttpReceiver;
import io.gatehouse.cli.traces.ReceivedSpan;
import io.gatehouse.cli.traces.TraceFile;
import io.gatehouse.cli.traces.TraceTree;
import io.gatehouse.observability.tracing.Tracing;
import io.gatehouse.observability.tracing.TracingBootstrap;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

/**
 * {@code gatehouse traces}: see a trace without a tracing backend. {@code receive} is a small
 * OTLP/HTTP receiver writing a {@link TraceFile}; {@code show} prints one trace from it as a tree,
 * {@code list} the traces in it; {@code request} sends one HTTP request inside a CLIENT span, so a
 * trace starts where a client would start it. Local commands: the control plane is not involved.
 */
@Command(name = "traces", description = "Receive OTLP traces into a file and show them as span trees (no tracing backend needed).")
final class TracesCommand implements Runnable {

    static final String DEFAULT_FILE = "gatehouse-traces.otlp";
    static final String FILE_VARIABLE = "GATEHOUSE_TRACES_FILE";
    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    /** Up to 4 bodies of this size are in memory at once; OTLP exporters send a few MiB at most. */
    static final int MAX_BODY_LIMIT = 64 << 20;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: receive, show, list or request");
    }

    private GatehouseCommand root() {
        return (GatehouseCommand) spec.root().userObject();
    }

    private Path file(Path option) {
        return option != null ? option
                : Path.of(root().environment().variable(FILE_VARIABLE).orElse(DEFAULT_FILE));
    }

    @Command(name = "receive", description = "Receive OTLP/HTTP traces (POST /v1/traces, protobuf) and append them to a file"
            + " until stopped. Point processes at it with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
            + " OTEL_EXPORTER_OTLP_ENDPOINT=http://HOST:PORT.")
    int receive(@Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:4318",
                        description = "Address to listen on (default ${DEFAULT-VALUE}; port 0: any free one).") String listen,
                @Option(names = "--out", paramLabel = "FILE", description = "File to append to (default $" + FILE_VARIABLE
                        + ", then ./" + DEFAULT_FILE + "; created 0600).") Path out,
                @Option(names = "--allow-remote", description = "Listen on a non-loopback address. There is no authentication:"
                        + " anyone who reaches the port can write spans.") boolean allowRemote,
                @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "4194304",
                        description = "Largest request body, before and after gzip (default ${DEFAULT-VALUE}); larger: 413.") int maxBody,
                @Option(names = "--max-spans", paramLabel = "N", defaultValue = "100000",
                        description = "Spans to write at most (default ${DEFAULT-VALUE}); more are rejected.") long maxSpans,
                @Option(names = "--max-file-bytes", paramLabel = "BYTES", defaultValue = "268435456",
                        description = "Size the file may grow to (default ${DEFAULT-VALUE}).") long maxFileBytes)
            throws IOException, InterruptedException {
        Output output = root().output();
        InetSocketAddress address;
        try {
            address = listenAddress(listen);
        } catch (IllegalArgumentException | IOException e) {
            output.error("--listen '" + ReceivedSpan.clean(listen) + "': " + e.getMessage());
            return ExitCodes.USAGE;
        }
        if (!address.getAddress().isLoopbackAddress() && !allowRemote) {
            output.error("--listen " + listen + " is not a loopback address; the receiver has no authentication."
                    + " Add --allow-remote if that is really meant.");
            return ExitCodes.USAGE;
        }
        if (maxBody < 1 || maxBody > MAX_BODY_LIMIT || maxSpans < 1 || maxFileBytes < 1) {
            output.error("--max-body must be 1.." + MAX_BODY_LIMIT + "; --max-spans and --max-file-bytes positive");
            return ExitCodes.USAGE;
        }
        Path file = file(out);
        OtlpHttpReceiver receiver = OtlpHttpReceiver.start(address, file, maxBody, maxSpans, maxFileBytes);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                receiver.close();
            } catch (IOException ignored) {
                // exiting anyway; the file was flushed after every request
            }
            stopped.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        // stderr, so stdout stays free for scripts; the port matters with --listen ...:0
        output.error("receiving OTLP/HTTP traces on http://" + address.getAddress().getHostAddress() + ":" + receiver.port()
                + OtlpHttpReceiver.PATH + ", appending to " + file);
        stopped.await();
        return ExitCodes.OK;
    }

    @Command(name = "show", description = "Print one trace as a tree of spans: start offset, duration, name, service, kind, key"
            + " attributes (route, status, upstream, config version, node).")
    int show(@Parameters(index = "0", arity = "0..1", paramLabel = "TRACE_ID", description = "32 hex digits (x-trace-id).") String traceId,
             @Option(names = "--config-version", paramLabel = "N",
                     description = "The traces that pushed config version N to data planes (apply -> snapshot.push);"
                             + " with TRACE_ID, printed after it.") Long configVersion,
             @Option(names = "--file", paramLabel = "FILE", description = "Trace file (default $" + FILE_VARIABLE + ", then ./" + DEFAULT_FILE + ").") Path fileOption,
             @Option(names = "--expect", paramLabel = "KEY=VALUE[,KEY=VALUE]...",
                     description = "A span that must be in the trace: service=, kind=, name= (a prefix) and attribute keys"
                             + " (http.route=catalog). Repeatable; exit 1 when one is missing.") List<String> expectations,
             @Option(names = "--wait", paramLabel = "DURATION", converter = DurationConverter.class,
                     description = "Wait up to this long for the trace (and every --expect) to arrive: exporters batch.") Duration wait)
            throws IOException, InterruptedException {
        Output output = root().output();
        if (traceId == null && configVersion == null) {
            output.error("give a TRACE_ID or --config-version N");
            return ExitCodes.USAGE;
        }
        if (traceId != null && !TRACE_ID.matcher(traceId).matches()) {
            output.error("'" + ReceivedSpan.clean(traceId) + "' is not a trace id (32 lowercase hex digits)");
            return ExitCodes.USAGE;
        }
        List<Expectation> expected = new ArrayList<>();
        for (String e : expectations == null ? List.<String>of() : expectations) {
            try {
                expected.add(Expectation.parse(e));
            } catch (IllegalArgumentException ex) {
                output.error("--expect '" + ReceivedSpan.clean(e) + "': " + ex.getMessage());
                return ExitCodes.USAGE;
            }
        }
        Path file = file(fileOption);
        long deadline = System.nanoTime() + (wait == null ? 0 : wait.toNanos());
        TraceTree request;
        List<TraceTree> pushes;
        List<Expectation> missing;
        while (true) {
            request = traceId == null ? null : trace(file, traceId);
            pushes = configVersion == null ? List.of() : pushesOf(file, configVersion);
            List<ReceivedSpan> all = new ArrayList<>(request == null ? List.of() : request.spans());
            pushes.forEach(t -> all.addAll(t.spans()));
            missing = expected.stream().filter(e -> all.stream().noneMatch(e::matches)).toList();
            boolean found = (request == null || !request.spans().isEmpty()) && (configVersion == null || !pushes.isEmpty());
            if ((found && missing.isEmpty()) || System.nanoTime() >= deadline) {
                break;
            }
            Thread.sleep(100);
        }
        boolean nothing = false;
        if (request != null && request.spans().isEmpty()) {
            output.error("no spans of trace " + traceId + " in " + file);
            nothing = true;
        }
        if (configVersion != null && pushes.isEmpty()) {
            output.error("no snapshot.push span for config version " + configVersion + " in " + file);
            nothing = true;
        }
        if (nothing) {
            return ExitCodes.FAILED;
        }
        List<TraceTree> trees = new ArrayList<>();
        if (request != null) {
            trees.add(request);
        }
        trees.addAll(pushes);
        for (TraceTree tree : trees) {
            output.line(tree.render().stripTrailing());
        }
        if (!missing.isEmpty()) {
            missing.forEach(m -> output.error("missing: a span with " + m));
            return ExitCodes.FAILED;
        }
        return ExitCodes.OK;
    }

    @Command(name = "list", description = "The traces in the file, newest first: id, start, duration, spans, services, root span.")
    int list(@Option(names = "--file", paramLabel = "FILE", description = "Trace file (default $" + FILE_VARIABLE + ", then ./" + DEFAULT_FILE + ").") Path fileOption,
             @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Rows (default ${DEFAULT-VALUE}).") int limit)
            throws IOException {
        Output output = root().output();
        Map<String, List<ReceivedSpan>> traces = new LinkedHashMap<>();
        TraceFile.read(file(fileOption), span -> traces.computeIfAbsent(span.traceId(), k -> new ArrayList<>()).add(span));
        Table table = new Table("TRACE ID", "START", "DURATION", "SPANS", "SERVICES", "ROOT");
        traces.entrySet().stream()
                .map(e -> TraceTree.of(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(TraceTree::startNanos).reversed())
                .limit(Math.max(0, limit))
                .forEach(t -> table.row(t.spans().getFirst().traceId(),
                        Instant.ofEpochSecond(0, t.startNanos()).toString(),
                        String.format(java.util.Locale.ROOT, "%.1f ms", t.durationNanos() / 1e6),
                        t.spans().size(), String.join(",", t.services()),
                        t.roots().isEmpty() ? "" : t.roots().getFirst().name()));
        if (table.isEmpty()) {
            output.error("no traces in " + file(fileOption));
            return ExitCodes.OK;
        }
        output.table(table);
        return ExitCodes.OK;
    }

    @Command(name = "request", description = "Send one HTTP GET inside a CLIENT span and print its trace id on stdout (status"
            + " and x-trace-id on stderr): a trace that starts at the client. Needs OTEL_* to configure an exporter.")
    int request(@Parameters(index = "0", paramLabel = "URL", description = "http:// or https:// URL.") String url,
                @Option(names = "--header", paramLabel = "NAME: VALUE", description = "A request header (repeatable).") List<String> headers,
                @Option(names = "--header-file", paramLabel = "FILE", description = "Request headers, one 'Name: value' per line:"
                        + " for credentials, which would show in ps on the command line.") Path headerFile)
            throws IOException, InterruptedException {
        Output output = root().output();
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            output.error("'" + ReceivedSpan.clean(url) + "' is not a URL");
            return ExitCodes.USAGE;
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            output.error("'" + ReceivedSpan.clean(url) + "' is not an http:// or https:// URL");
            return ExitCodes.USAGE;
        }
        // OTEL_* from the CLI's environment (the process's, or a test's) as overrides: same names, same effect
        Map<String, String> otel = new HashMap<>();
        root().environment().variables().forEach((name, value) -> {
            if (name.startsWith("OTEL_")) {
                otel.put(name.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value);
            }
        });
        // A sampled root span whatever OTEL_TRACES_SAMPLER says: the operator asked for this trace.
        otel.put("otel.traces.sampler", "always_on");
        TracingBootstrap bootstrap = TracingBootstrap.forService("gatehouse-cli").overrides(otel)
                .withoutShutdownHook(); // closed below, before the command returns
        if (!bootstrap.exporterConfigured()) {
            output.error("no trace exporter configured: set OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_PROTOCOL)");
            return ExitCodes.USAGE;
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(root().timeout()).GET();
        List<String> allHeaders = new ArrayList<>(headers == null ? List.of() : headers);
        if (headerFile != null) {
            if (Files.size(headerFile) > 64 * 1024) {
                output.error("--header-file " + headerFile + " is over 64 KiB");
                return ExitCodes.USAGE;
            }
            Files.readAllLines(headerFile).stream().filter(l -> !l.isBlank()).forEach(allHeaders::add);
        }
        for (String header : allHeaders) {
            int colon = header.indexOf(':');
            if (colon < 1) {
                // the line itself is not echoed: it may hold a credential
                output.error("a header must be 'Name: value'");
                return ExitCodes.USAGE;
            }
            try {
                builder.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
            } catch (IllegalArgumentException e) {
                output.error("header '" + ReceivedSpan.clean(header.substring(0, colon).trim()) + "' is not allowed or not valid");
                return ExitCodes.USAGE;
            }
        }
        try (Tracing tracing = bootstrap.start();
             HttpClient http = HttpClient.newBuilder().connectTimeout(root().timeout()).build()) {
            Span span = tracing.sdk().getTracer("io.gatehouse.cli").spanBuilder("GET")
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute("http.request.method", "GET")
                    .setAttribute("url.full", uri.getScheme() + "://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath()))
                    .setAttribute("server.address", uri.getHost())
                    .startSpan();
            Map<String, String> carrier = new HashMap<>();
            try (Scope ignored = span.makeCurrent()) {
                tracing.sdk().getPropagators().getTextMapPropagator().inject(Context.current(), carrier, Map::put);
            }
            carrier.forEach(builder::header);
            try {
                HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
                span.setAttribute("http.response.status_code", (long) response.statusCode());
                if (response.statusCode() >= 400) {
                    span.setStatus(StatusCode.ERROR);
                }
                output.error("HTTP " + response.statusCode() + ", " + response.body().length + " bytes, x-trace-id: "
                        + response.headers().firstValue("x-trace-id").map(ReceivedSpan::clean).orElse("(none)"));
            } catch (IOException e) {
                span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                output.error("request failed: " + e.getMessage());
                output.line(span.getSpanContext().getTraceId());
                return ExitCodes.FAILED;
            } finally {
                span.end();
            }
            output.line(span.getSpanContext().getTraceId());
            return ExitCodes.OK;
        }
    }

    /** {@code HOST:PORT} ({@code [::1]:PORT} for IPv6) with a port in 0..65535; 0 is any free port. */
    static InetSocketAddress listenAddress(String text) throws IOException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("not HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("no numeric port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    /** The spans of {@code traceId} in {@code file}. */
    private static TraceTree trace(Path file, String traceId) throws IOException {
        List<ReceivedSpan> spans = new ArrayList<>();
        TraceFile.read(file, span -> {
            if (span.traceId().equals(traceId)) {
                spans.add(span);
            }
        });
        return TraceTree.of(traceId, spans);
    }

    /** The traces holding a snapshot.push of config version {@code version}, oldest first. */
    private static List<TraceTree> pushesOf(Path file, long version) throws IOException {
        Map<String, List<ReceivedSpan>> traces = new LinkedHashMap<>();
        TraceFile.read(file, span -> traces.computeIfAbsent(span.traceId(), k -> new ArrayList<>()).add(span));
        String wanted = Long.toString(version);
        return traces.entrySet().stream()
                .filter(e -> e.getValue().stream().anyMatch(s -> s.name().equals("snapshot.push")
                        && wanted.equals(s.attributes().get("gatehouse.config.version"))))
                .map(e -> TraceTree.of(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(TraceTree::startNanos))
                .toList();
    }

    /** One {@code --expect}: every given key must match (name as a prefix, the rest exactly). */
    record Expectation(Map<String, String> conditions) {

        static Expectation parse(String text) {
            Map<String, String> conditions = new LinkedHashMap<>();
            for (String part : text.split(",")) {
                int eq = part.indexOf('=');
                if (eq < 1) {
                    throw new IllegalArgumentException("expected KEY=VALUE pairs separated by commas");
                }
                conditions.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
            return new Expectation(Map.copyOf(conditions));
        }

        boolean matches(ReceivedSpan span) {
            return conditions.entrySet().stream().allMatch(c -> switch (c.getKey()) {
                case "service" -> span.service().equals(c.getValue());
                case "kind" -> span.kind().equals(c.getValue());
                case "name" -> span.name().startsWith(c.getValue());
                default -> c.getValue().equals(span.attributes().get(c.getKey()));
            });
        }

        @Override
        public String toString() {
            return String.join(", ", new java.util.TreeMap<>(conditions).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toList());
        }
    }
}
