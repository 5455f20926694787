package io.gatehouse.controlplane.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small strict parser of the Prometheus text exposition format (0.0.4), for what the fleet sampler
 * reads from data planes' admin {@code /metrics}. Written here because no parser of the format is on
 * Maven Central in a small artifact: {@code io.prometheus:prometheus-metrics-exposition-textformats}
 * only writes it, and the old simpleclient had no parser either.
 *
 * <p>A data plane is authenticated, but its exposition is still input from another process: every
 * line is checked (metric and label names, quoting and escapes, the value, an optional integer
 * timestamp) and the whole body is refused on the first malformed line rather than half-read, so a
 * broken data plane shows as "unreadable" instead of as wrong numbers. Bounds: line length, labels per
 * sample, samples kept. Only samples whose name is in {@code wanted} are kept (the rest is checked and
 * dropped), so memory is spent on what the dashboard shows. Stateless and thread-safe.
 */
final class PromText {

    /** One sample line: metric name, labels in their order, value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String key) {
            return labels.getOrDefault(key, "");
        }
    }

    /** The exposition cannot be read; the message says where and why (it never quotes the line). */
    static final class MalformedException extends Exception {
        MalformedException(int line, String reason) {
            super("line " + line + ": " + reason);
        }
    }

    static final int MAX_LINE = 8192;
    static final int MAX_LABELS = 16;
    static final int MAX_LABEL_VALUE = 1024;

    private PromText() {
    }

    /**
     * @param maxSamples how many wanted samples may be kept; more is malformed (a data plane that
     *                   exports that many series of one family is not one we should chart)
     */
    static List<Sample> parse(String text, Set<String> wanted, int maxSamples) throws MalformedException {
        List<Sample> samples = new ArrayList<>();
        int lineNo = 0;
        int start = 0;
        int length = text.length();
        while (start < length) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = length;
            }
            lineNo++;
            if (end - start > MAX_LINE) {
                throw new MalformedException(lineNo, "longer than " + MAX_LINE + " characters");
            }
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isEmpty() || line.charAt(0) == '#') {
                // Comments, HELP and TYPE: not needed to read the families the sampler knows.
                continue;
            }
            Sample sample = new LineParser(line, lineNo).sample();
            if (wanted.contains(sample.name())) {
                if (samples.size() >= maxSamples) {
                    throw new MalformedException(lineNo, "more than " + maxSamples + " samples of the families read");
                }
                samples.add(sample);
            }
        }
        return samples;
    }

    /** One sample line: {@code name[{label="value",...}] value [timestamp]}. */
    private static final class LineParser {
        private final String s;
        private final int lineNo;
        private int i;

        LineParser(String s, int lineNo) {
            this.s = s;
            this.lineNo = lineNo;
        }

        Sample sample() throws MalformedException {
            String name = name(true);
            Map<String, String> labels = Map.of();
            if (i < s.length() && s.charAt(i) == '{') {
                labels = labels();
            }
            if (i >= s.length() || s.charAt(i) != ' ') {
                throw fail("expected a space before the value");
            }
            skipSpaces();
            int valueStart = i;
            while (i < s.length() && s.charAt(i) != ' ') {
                i++;
            }
            double value = value(s.substring(valueStart, i));
            if (i < s.length()) {
                skipSpaces();
                int tsStart = i;
                if (i < s.length() && s.charAt(i) == '-') {
                    i++;
                }
                int digits = i;
                while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                    i++;
                }
                if (i == digits || i - tsStart > 20 || i != s.length()) {
                    throw fail("trailing characters after the value (only an integer timestamp may follow)");
                }
            }
            return new Sample(name, labels, value);
        }

        private String name(boolean metric) throws MalformedException {
            int begin = i;
            while (i < s.length()) {
                char c = s.charAt(i);
                boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || (metric && c == ':')
                        || (i > begin && c >= '0' && c <= '9');
                if (!ok) {
                    break;
                }
                i++;
            }
            if (i == begin) {
                throw fail(metric ? "expected a metric name" : "expected a label name");
            }
            if (i - begin > 256) {
                throw fail("name longer than 256 characters");
            }
            return s.substring(begin, i);
        }

        private Map<String, String> labels() throws MalformedException {
            i++; // '{'
            Map<String, String> labels = new LinkedHashMap<>();
            while (true) {
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return labels;
                }
                String key = name(false);
                if (i >= s.length() || s.charAt(i) != '=') {
                    throw fail("expected = after a label name");
                }
                i++;
                if (i >= s.length() || s.charAt(i) != '"') {
                    throw fail("expected a quoted label value");
                }
                i++;
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (i >= s.length()) {
                        throw fail("unterminated label value");
                    }
                    char c = s.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        if (i >= s.length()) {
                            throw fail("unterminated escape");
                        }
                        char e = s.charAt(i++);
                        switch (e) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw fail("unknown escape in a label value");
                        }
                    } else {
                        value.append(c);
                    }
                    if (value.length() > MAX_LABEL_VALUE) {
                        throw fail("label value longer than " + MAX_LABEL_VALUE + " characters");
                    }
                }
                if (labels.put(key, value.toString()) != null) {
                    throw fail("label " + key + " repeated");
                }
                if (labels.size() > MAX_LABELS) {
                    throw fail("more than " + MAX_LABELS + " labels");
                }
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else if (i >= s.length() || s.charAt(i) != '}') {
                    throw fail("expected , or } after a label value");
                }
            }
        }

        private double value(String v) throws MalformedException {
            switch (v) {
                case "+Inf", "Inf" -> {
                    return Double.POSITIVE_INFINITY;
                }
                case "-Inf" -> {
                    return Double.NEGATIVE_INFINITY;
                }
                case "NaN" -> {
                    return Double.NaN;
                }
                default -> {
                    // Double.parseDouble also takes "0x1p3", "1d", " 1", "Infinity": only the
                    // exposition's plain decimal notation is accepted.
                    if (v.isEmpty() || v.length() > 64 || !v.matches("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?")) {
                        throw fail("not a number");
                    }
                    return Double.parseDouble(v);
                }
            }
        }

        private void skipSpaces() {
            while (i < s.length() && s.charAt(i) == ' ') {
                i++;
            }
        }

        private MalformedException fail(String reason) {
            return new MalformedException(lineNo, reason + " (column " + (i + 1) + ")");
        }
    }
}
