package io.gatehouse.systemtest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Prometheus text exposition (format 0.0.4) as a query sees it: every sample name (a histogram
 * {@code x} shows as {@code x_bucket}, {@code x_sum}, {@code x_count}) with the label names and values
 * of its series, and each family's {@code # TYPE}. Only what has a sample counts: a family that is
 * declared but has no series yet gives a dashboard nothing to draw.
 */
record Exposition(String component, Map<String, Map<String, Set<String>>> samples, Map<String, String> types) {

    static Exposition parse(String component, String text) {
        Map<String, Map<String, Set<String>>> samples = new TreeMap<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[2], parts[3]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                int brace = line.indexOf('{');
                int space = line.indexOf(' ');
                boolean labelled = brace >= 0 && (space < 0 || brace < space);
                String name = line.substring(0, labelled ? brace : space);
                Map<String, Set<String>> labels = samples.computeIfAbsent(name, n -> new TreeMap<>());
                if (labelled) {
                    parseLabels(line, brace + 1, labels);
                }
            }
        }
        return new Exposition(component, samples, types);
    }

    /** name="value",... up to the closing brace; values may hold escaped quotes, commas and braces. */
    private static void parseLabels(String line, int start, Map<String, Set<String>> into) {
        int i = start;
        while (i < line.length() && line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String label = line.substring(i, eq).strip();
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            for (; line.charAt(j) != '"'; j++) {
                char c = line.charAt(j);
                if (c == '\\') {
                    c = line.charAt(++j);
                    value.append(c == 'n' ? '\n' : c);
                } else {
                    value.append(c);
                }
            }
            into.computeIfAbsent(label, l -> new TreeSet<>()).add(value.toString());
            i = j + 1;
            if (i < line.length() && line.charAt(i) == ',') {
                i++;
            }
        }
    }

    boolean has(String sample) {
        return samples.containsKey(sample);
    }

    /** The label names and values of {@code sample}'s series (empty when it has none). */
    Map<String, Set<String>> labels(String sample) {
        return samples.getOrDefault(sample, Map.of());
    }

    /** The family a sample name belongs to, with its type: x_bucket of histogram x is (x, histogram). */
    Optional<String> typeOf(String sample) {
        if (types.containsKey(sample)) {
            return Optional.of(types.get(sample));
        }
        for (String suffix : new String[]{"_bucket", "_sum", "_count"}) {
            if (sample.endsWith(suffix)) {
                String family = sample.substring(0, sample.length() - suffix.length());
                if (types.containsKey(family)) {
                    return Optional.of(types.get(family));
                }
            }
        }
        return Optional.empty();
    }
}
