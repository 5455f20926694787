package io.gatehouse.cli.traces;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The spans of one trace as a tree: children under their parent, siblings by start time, one line
 * per span with its start offset, duration, name, service, kind and the attributes an operator looks
 * for first. Spans arrive in any order and from several processes (each exports on its own
 * schedule); a span whose parent never arrived is shown as a root with a note saying so, and spans
 * that only form a cycle (a hostile file) are shown as roots rather than lost. Nothing recurses, so
 * a deep chain cannot overflow the stack, and indentation stops growing at {@link #MAX_INDENT}.
 */
public final class TraceTree {

    static final int MAX_INDENT = 24;

    /** Attribute keys shown on a span's line, with the short label used there, in this order. */
    private static final Map<String, String> KEY_ATTRIBUTES = keyAttributes();

    private final String traceId;
    private final List<ReceivedSpan> spans;

    private TraceTree(String traceId, List<ReceivedSpan> spans) {
        this.traceId = traceId;
        this.spans = spans;
    }

    /** The tree of {@code spans} (all of trace {@code traceId}; duplicates of a span id are dropped). */
    public static TraceTree of(String traceId, List<ReceivedSpan> spans) {
        Map<String, ReceivedSpan> unique = new LinkedHashMap<>();
        for (ReceivedSpan span : spans) {
            if (span.traceId().equals(traceId)) {
                unique.putIfAbsent(span.spanId(), span);
            }
        }
        return new TraceTree(traceId, List.copyOf(unique.values()));
    }

    public List<ReceivedSpan> spans() {
        return spans;
    }

    /** Start of the earliest span, in nanoseconds since the epoch. */
    public long startNanos() {
        return spans.stream().mapToLong(ReceivedSpan::startNanos).min().orElse(0);
    }

    /** From the earliest start to the latest end. */
    public long durationNanos() {
        return Math.max(0, spans.stream().mapToLong(ReceivedSpan::endNanos).max().orElse(0) - startNanos());
    }

    /** The services that sent spans of this trace, sorted. */
    public Set<String> services() {
        Set<String> services = new TreeSet<>();
        spans.forEach(s -> services.add(s.service()));
        return services;
    }

    /** The spans at the top: no parent, or a parent that is not (yet) here. Sorted by start. */
    public List<ReceivedSpan> roots() {
        Set<String> ids = new HashSet<>();
        spans.forEach(s -> ids.add(s.spanId()));
        return spans.stream().filter(s -> !s.hasParent() || !ids.contains(s.parentSpanId())).sorted(BY_START).toList();
    }

    private static final Comparator<ReceivedSpan> BY_START =
            Comparator.comparingLong(ReceivedSpan::startNanos).thenComparing(ReceivedSpan::spanId);

    /** The tree as text, one line per span, ending in a newline. */
    public String render() {
        StringBuilder out = new StringBuilder();
        long start = startNanos();
        out.append("trace ").append(traceId).append(": ").append(spans.size()).append(spans.size() == 1 ? " span" : " spans")
                .append(" from ").append(String.join(", ", services())).append(", ").append(ms(durationNanos())).append('\n');
        out.append(String.format(Locale.ROOT, "%10s %10s  %s%n", "START", "DURATION", "SPAN [service] kind  attributes"));
        Map<String, List<ReceivedSpan>> children = new HashMap<>();
        Set<String> ids = new HashSet<>();
        spans.forEach(s -> ids.add(s.spanId()));
        for (ReceivedSpan span : spans) {
            if (span.hasParent() && ids.contains(span.parentSpanId())) {
                children.computeIfAbsent(span.parentSpanId(), k -> new ArrayList<>()).add(span);
            }
        }
        children.values().forEach(list -> list.sort(BY_START));
        Set<String> shown = new HashSet<>();
        List<ReceivedSpan> tops = new ArrayList<>(roots());
        for (int i = 0; i < tops.size() || shown.size() < spans.size(); i++) {
            if (i >= tops.size()) { // only cycles are left: show the earliest unshown span as a root
                spans.stream().filter(s -> !shown.contains(s.spanId())).min(BY_START).ifPresent(tops::add);
            }
            ReceivedSpan top = tops.get(i);
            if (shown.contains(top.spanId())) {
                continue;
            }
            // depth-first with an explicit stack: entries are (span, prefix of its line, prefix of its children)
            Deque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[] {top, "", "", 0});
            while (!stack.isEmpty()) {
                Object[] entry = stack.pop();
                ReceivedSpan span = (ReceivedSpan) entry[0];
                if (!shown.add(span.spanId())) {
                    continue;
                }
                int depth = (Integer) entry[3];
                line(out, span, start, (String) entry[1], span == top);
                List<ReceivedSpan> kids = children.getOrDefault(span.spanId(), List.of());
                String childPrefix = (String) entry[2];
                for (int k = kids.size() - 1; k >= 0; k--) {
                    boolean last = k == kids.size() - 1;
                    boolean indent = depth < MAX_INDENT;
                    stack.push(new Object[] {kids.get(k),
                            childPrefix + (indent ? (last ? "└─ " : "├─ ") : ""),
                            childPrefix + (indent ? (last ? "   " : "│  ") : ""), depth + 1});
                }
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, ReceivedSpan span, long traceStart, String prefix, boolean top) {
        out.append(String.format(Locale.ROOT, "%10s %10s  ", "+" + ms(span.startNanos() - traceStart), ms(span.durationNanos())))
                .append(prefix).append(span.name()).append(" [").append(span.service()).append("] ").append(span.kind());
        StringBuilder attributes = new StringBuilder();
        for (Map.Entry<String, String> key : KEY_ATTRIBUTES.entrySet()) {
            String value = span.attributes().get(key.getKey());
            if (value != null) {
                attributes.append(' ').append(key.getValue()).append('=').append(value);
            }
        }
        if (span.error()) {
            attributes.append(" ERROR").append(span.statusMessage().isEmpty() ? "" : "(" + span.statusMessage() + ")");
        }
        if (!span.events().isEmpty()) {
            attributes.append(" events=").append(String.join(",", span.events()));
        }
        if (top && span.hasParent()) {
            attributes.append(" (parent ").append(span.parentSpanId()).append(" not received)");
        }
        if (!attributes.isEmpty()) {
            out.append(' ').append(attributes);
        }
        out.append('\n');
    }

    /** Milliseconds with one decimal ("12.3 ms"); the JDK's formatting, not the locale's. */
    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static Map<String, String> keyAttributes() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("http.route", "route");
        keys.put("url.path", "path");
        keys.put("url.full", "url");
        keys.put("http.response.status_code", "status");
        keys.put("rpc.method", "rpc");
        keys.put("rpc.grpc.status_code", "grpc_status");
        keys.put("gatehouse.upstream", "upstream");
        keys.put("server.address", "host");
        keys.put("server.port", "port");
        keys.put("http.request.resend_count", "resend");
        keys.put("gatehouse.config.version", "version");
        keys.put("gatehouse.node.id", "node");
        keys.put("gatehouse.ratelimit.decision", "ratelimit");
        keys.put("gatehouse.cache.result", "cache");
        keys.put("db.operation.name", "db_op");
        keys.put("error.type", "error");
        return keys;
    }
}
