package io.gatehouse.systemtest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a PromQL expression asks of the exposition: its vector selectors (metric name and label
 * matchers) and the label names of its grouping clauses ({@code by}, {@code without}, {@code on},
 * {@code ignoring}, {@code group_left/right}). A tokenizer, not a full parser: there is no PromQL parser
 * for Java (the real one is Go, and Debian's Prometheus 2.42 has no parse endpoint), and names are
 * all DeployArtifactsTest needs from the text. Whether the whole expression is valid and returns
 * data is checked by a real Prometheus in the same test.
 *
 * <p>Handles string literals (all three quotes, with escapes), comments, ranges and subqueries
 * ({@code [5m]}, {@code [1h:1m]}, Grafana's {@code [$__rate_interval]}), {@code offset} and {@code @}
 * modifiers, {@code {__name__="x"}} selectors and Grafana variables in matcher values.
 */
final class PromQl {

    /** A label matcher: {@code name op "value"}, op one of =, !=, =~, !~. */
    record Matcher(String label, String op, String value) {
        /** An equality on a literal value (no Grafana variable): a series with that value must exist. */
        boolean literalEquality() {
            return op.equals("=") && !value.contains("$");
        }
    }

    /** {@code metric{matchers}}; metric is null for a selector of matchers only without __name__. */
    record Selector(String metric, List<Matcher> matchers) {
    }

    record Parsed(String expression, List<Selector> selectors, Set<String> groupingLabels) {
        Set<String> metrics() {
            Set<String> names = new LinkedHashSet<>();
            selectors.forEach(s -> {
                if (s.metric() != null) {
                    names.add(s.metric());
                }
            });
            return names;
        }
    }

    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    /** Words that are neither metric names nor followed by "(": binary and set operators, bool, numbers. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "inf", "nan", "atan2");

    private enum Kind { IDENT, STRING, NUMBER, PUNCT, MATCHERS }

    private record Token(Kind kind, String text, List<Matcher> matchers) {
    }

    private PromQl() {
    }

    static Parsed parse(String expression) {
        List<Token> tokens = tokenize(expression);
        List<Selector> selectors = new ArrayList<>();
        Set<String> grouping = new LinkedHashSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            if (t.kind == Kind.IDENT) {
                String word = t.text.toLowerCase(Locale.ROOT);
                if (GROUPING.contains(word)) {
                    if (next != null && next.text.equals("(")) { // group_left may come without a list
                        int j = i + 2;
                        for (; j < tokens.size() && !tokens.get(j).text.equals(")"); j++) {
                            if (tokens.get(j).kind == Kind.IDENT) {
                                grouping.add(tokens.get(j).text);
                            } else if (!tokens.get(j).text.equals(",")) {
                                throw new IllegalArgumentException("unexpected " + tokens.get(j).text
                                        + " in the label list of " + word + ": " + expression);
                            }
                        }
                        i = j;
                    }
                } else if (word.equals("offset")) {
                    i++; // the duration after it (tokenized as a number or identifier)
                } else if (next != null && (next.text.equals("(") || (next.kind == Kind.IDENT
                        && Set.of("by", "without").contains(next.text.toLowerCase(Locale.ROOT))))) {
                    // a function or aggregation: sum(...), sum by (x) (...), rate, histogram_quantile, ...
                } else if (!KEYWORDS.contains(word)) {
                    List<Matcher> matchers = next != null && next.kind == Kind.MATCHERS ? next.matchers : List.of();
                    selectors.add(new Selector(t.text, matchers));
                    if (!matchers.isEmpty()) {
                        i++;
                    }
                }
            } else if (t.kind == Kind.MATCHERS) { // {__name__="x", ...} without a name in front
                String name = t.matchers.stream().filter(m -> m.label().equals("__name__") && m.op().equals("="))
                        .map(Matcher::value).findFirst().orElse(null);
                selectors.add(new Selector(name, t.matchers.stream().filter(m -> !m.label().equals("__name__")).toList()));
            } else if (t.text.equals("@")) {
                i++; // @ 1609746000 or @ start(): the function's "(" is harmless
            }
        }
        return new Parsed(expression, selectors, grouping);
    }

    private static List<Token> tokenize(String s) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '"' || c == '\'' || c == '`') {
                int end = endOfString(s, i);
                tokens.add(new Token(Kind.STRING, unquote(s.substring(i, end)), null));
                i = end;
            } else if (c == '[') { // range or subquery: durations and Grafana variables only
                int end = s.indexOf(']', i);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed [ in " + s);
                }
                i = end + 1;
            } else if (c == '{') {
                int[] end = new int[1];
                tokens.add(new Token(Kind.MATCHERS, "{}", matchers(s, i + 1, end)));
                i = end[0];
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                int start = i;
                // numbers, 1e3, 0x1f and durations such as 5m or 1h30m (after offset)
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.'
                        || ((s.charAt(i) == '+' || s.charAt(i) == '-') && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E')))) {
                    i++;
                }
                tokens.add(new Token(Kind.NUMBER, s.substring(start, i), null));
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == ':')) {
                    i++;
                }
                tokens.add(new Token(Kind.IDENT, s.substring(start, i), null));
            } else if (c == '$') { // a Grafana variable outside a matcher, e.g. a threshold: not a metric
                int start = i++;
                if (i < s.length() && s.charAt(i) == '{') {
                    i = s.indexOf('}', i) + 1;
                } else {
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                        i++;
                    }
                }
                tokens.add(new Token(Kind.NUMBER, s.substring(start, i), null));
            } else {
                tokens.add(new Token(Kind.PUNCT, String.valueOf(c), null));
                i++;
            }
        }
        return tokens;
    }

    /** Parses {@code name op "value", ...}} from {@code start}; end[0] is set past the closing brace. */
    private static List<Matcher> matchers(String s, int start, int[] end) {
        List<Matcher> matchers = new ArrayList<>();
        int i = start;
        while (true) {
            while (i < s.length() && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
                i++;
            }
            if (i >= s.length()) {
                throw new IllegalArgumentException("unclosed { in " + s);
            }
            if (s.charAt(i) == '}') {
                end[0] = i + 1;
                return matchers;
            }
            int nameStart = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            String label = s.substring(nameStart, i);
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            int opStart = i;
            while (i < s.length() && "=!~".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String op = s.substring(opStart, i);
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (label.isEmpty() || !Set.of("=", "!=", "=~", "!~").contains(op) || i >= s.length()
                    || "\"'`".indexOf(s.charAt(i)) < 0) {
                throw new IllegalArgumentException("malformed label matcher at " + nameStart + " in " + s);
            }
            int valueEnd = endOfString(s, i);
            matchers.add(new Matcher(label, op, unquote(s.substring(i, valueEnd))));
            i = valueEnd;
        }
    }

    private static int endOfString(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && quote != '`') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("unclosed string in " + s);
    }

    private static String unquote(String literal) {
        String body = literal.substring(1, literal.length() - 1);
        return literal.charAt(0) == '`' ? body : body.replaceAll("\\\\(.)", "$1");
    }
}
