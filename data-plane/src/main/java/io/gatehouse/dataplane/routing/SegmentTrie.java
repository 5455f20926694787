package io.gatehouse.dataplane.routing;

import io.helidon.http.Headers;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes of one host bucket as a trie of path segments: each node has a map of literal
 * children and at most one variable child (template {@code {name}} segments). A node keeps the
 * prefix routes ending there (they match every path passing through it) and the exact/template
 * routes ending there (they match paths that end there), both sorted by priority rank, so the
 * first candidate whose method and header conditions hold is the node's best.
 *
 * <p>A lookup walks the raw path by index (no split, no substring, no regex); its cost is the
 * number of path segments times the (usually one) branch taken, independent of the number of
 * routes. Built once per snapshot, then immutable and thread-safe.
 */
final class SegmentTrie {

    /** One route in one host bucket; a lower rank wins (see {@link RouteTable} for the order). */
    static final class Candidate {
        final CompiledRoute route;
        final RouteMatchSpec match;
        /** Copied from the match so a condition check touches only this object (lookups are memory-bound). */
        private final int methods;
        private final HeaderCondition[] headers;
        /** The configured host of this bucket (lower case, "*.x" for wildcards); null for any host. */
        final String host;
        final int hostClass;
        final int declaredIndex;
        int rank;

        Candidate(CompiledRoute route, String host, int hostClass, int declaredIndex) {
            this.route = route;
            this.match = route.match();
            this.methods = match.methods();
            this.headers = match.headers().isEmpty() ? NO_HEADERS : match.headers().toArray(HeaderCondition[]::new);
            this.host = host;
            this.hostClass = hostClass;
            this.declaredIndex = declaredIndex;
        }

        boolean conditionsHold(int methodBit, Headers requestHeaders) {
            if ((methods & methodBit) == 0) {
                return false;
            }
            for (HeaderCondition header : headers) {
                if (!header.test(requestHeaders)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final Candidate[] NONE = new Candidate[0];
    private static final HeaderCondition[] NO_HEADERS = new HeaderCondition[0];

    private static final class Node {
        // Build-phase state, dropped by freeze() so a frozen node is small (lookups are memory-bound).
        private Map<String, Node> buildChildren = new HashMap<>();
        private List<Candidate> buildPrefix = new ArrayList<>();
        private List<Candidate> buildTerminal = new ArrayList<>();
        private Node variable;
        private SegmentMap<Node> literals;
        private Candidate[] prefix = NONE;
        private Candidate[] terminal = NONE;

        void freeze() {
            Comparator<Candidate> byRank = Comparator.comparingInt(c -> c.rank);
            prefix = buildPrefix.isEmpty() ? NONE : buildPrefix.stream().sorted(byRank).toArray(Candidate[]::new);
            terminal = buildTerminal.isEmpty() ? NONE
                    : buildTerminal.stream().sorted(byRank).toArray(Candidate[]::new);
            buildChildren.values().forEach(Node::freeze);
            if (variable != null) {
                variable.freeze();
            }
            literals = SegmentMap.of(Map.copyOf(buildChildren));
            buildChildren = null;
            buildPrefix = null;
            buildTerminal = null;
        }
    }

    private final Node root = new Node();

    /** Adds a candidate (build phase only). */
    void add(Candidate candidate) {
        Node node = root;
        for (String segment : candidate.match.trieSegments()) {
            if (segment == null) {
                if (node.variable == null) {
                    node.variable = new Node();
                }
                node = node.variable;
            } else {
                node = node.buildChildren.computeIfAbsent(segment, s -> new Node());
            }
        }
        (candidate.match.kind() == PathKind.PREFIX ? node.buildPrefix : node.buildTerminal).add(candidate);
    }

    /** Ends the build phase: ranks must be assigned before. */
    void freeze() {
        root.freeze();
    }

    /** The best candidate for a raw path ("/..."), or null. */
    Candidate lookup(String rawPath, int methodBit, Headers headers) {
        return visit(root, rawPath, 1, methodBit, headers);
    }

    /** {@code start} is where the next segment begins; past the end when the path is consumed. */
    private static Candidate visit(Node node, String path, int start, int methodBit, Headers headers) {
        Candidate best = first(node.prefix, methodBit, headers);
        int length = path.length();
        if (start > length) {
            return better(best, first(node.terminal, methodBit, headers));
        }
        int end = path.indexOf('/', start);
        if (end < 0) {
            end = length;
        }
        Node literal = node.literals.get(path, start, end);
        if (literal != null) {
            best = better(best, visit(literal, path, end + 1, methodBit, headers));
        }
        if (node.variable != null && end > start) {
            best = better(best, visit(node.variable, path, end + 1, methodBit, headers));
        }
        return best;
    }

    private static Candidate first(Candidate[] candidates, int methodBit, Headers headers) {
        for (Candidate candidate : candidates) {
            if (candidate.conditionsHold(methodBit, headers)) {
                return candidate;
            }
        }
        return null;
    }

    static Candidate better(Candidate a, Candidate b) {
        if (a == null) {
            return b;
        }
        return b == null || a.rank <= b.rank ? a : b;
    }
}
