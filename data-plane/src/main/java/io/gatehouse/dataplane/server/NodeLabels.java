package io.gatehouse.dataplane.server;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Operator-given labels of a data plane ({@code --label tier=canary}, GATEHOUSE_LABELS="k=v,k2=v2"),
 * sent in {@code Node.labels} so rollout waves can select on them. The rules are the protocol's
 * (discovery.proto): at most {@value #MAX_LABELS}, keys and values 1..63 characters of
 * {@code [A-Za-z0-9._-]}. The control plane drops what breaks them; the data plane refuses to start
 * with them instead, so a typo is seen at once rather than as a wave that never selects the node.
 */
final class NodeLabels {

    static final int MAX_LABELS = 16;
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9._-]{1,63}");

    private NodeLabels() {
    }

    /**
     * Parses "k=v,k2=v2" (blank = none; spaces around entries are ignored).
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    static SortedMap<String, String> parse(String text) {
        SortedMap<String, String> labels = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return Collections.unmodifiableSortedMap(labels);
        }
        for (String entry : text.split(",", -1)) {
            String trimmed = entry.strip();
            int eq = trimmed.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("label '" + shown(trimmed) + "' must be key=value");
            }
            String key = trimmed.substring(0, eq);
            if (labels.put(key, trimmed.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("label '" + shown(key) + "' is given twice");
            }
        }
        return check(labels);
    }

    /**
     * The labels as an immutable sorted map, if they keep the rules.
     *
     * @throws IllegalArgumentException naming the first label that breaks them
     */
    static SortedMap<String, String> check(Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            throw new IllegalArgumentException("at most " + MAX_LABELS + " labels, not " + labels.size());
        }
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!PART.matcher(label.getKey()).matches()) {
                throw new IllegalArgumentException("label key '" + shown(label.getKey())
                        + "' must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
            }
            if (!PART.matcher(label.getValue()).matches()) {
                throw new IllegalArgumentException("label '" + label.getKey() + "' has value '" + shown(label.getValue())
                        + "'; values must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
            }
        }
        return Collections.unmodifiableSortedMap(new TreeMap<>(labels));
    }

    /** An operator's text in a message: bounded, so a pasted blob does not flood the terminal. */
    private static String shown(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
