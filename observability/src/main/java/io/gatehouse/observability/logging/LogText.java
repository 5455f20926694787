package io.gatehouse.observability.logging;

/**
 * Text that came from outside (a data plane's NACK detail, an operator's change message, a client's
 * header) made safe to store and to log.
 *
 * <ul>
 *   <li>{@link #bounded} caps the length, so a peer cannot make a row, a status page or a log line
 *       megabytes long (gRPC alone admits 4 MiB per message). The cut never splits a surrogate
 *       pair and says how much was dropped.</li>
 *   <li>{@link #escaped} makes the text one inert line: line breaks, other control characters and
 *       the Unicode characters that move or hide text (line/paragraph separators, bidirectional
 *       overrides and isolates) become {@code \n}, {@code \r}, {@code \t} or {@code \\u{hex}}, and a
 *       backslash is doubled — so a value can neither start a forged log line nor make one read
 *       differently from what it holds, and the escaping is unambiguous.</li>
 * </ul>
 */
public final class LogText {

    private LogText() {
    }

    /** {@code text} cut to at most {@code maxChars} characters plus a note of what was cut. */
    public static String bounded(String text, int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxChars must be >= 0: " + maxChars);
        }
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…(" + (text.length() - end) + " more characters)";
    }

    /** {@link #bounded} and then {@link #escaped}: what a log line may quote of outside text. */
    public static String forLog(String text, int maxChars) {
        return escaped(bounded(text, maxChars));
    }

    /** {@code text} as one line that shows every character it holds; {@code null} stays null. */
    public static String escaped(String text) {
        if (text == null) {
            return null;
        }
        int i = 0;
        while (i < text.length() && !needsEscape(text, i)) {
            i++;
        }
        if (i == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!needsEscape(text, i)) {
                out.append(c);
                continue;
            }
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append("\\u{").append(Integer.toHexString(c)).append('}');
            }
        }
        return out.toString();
    }

    private static boolean needsEscape(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) { // fine only as the first half of a pair
            return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) { // fine only as the second half of a pair
            return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
        }
        return c == '\\'
                || c < 0x20 || (c >= 0x7f && c <= 0x9f) // C0, DEL, C1 (includes NEL U+0085)
                || c == '\u2028' || c == '\u2029' // line and paragraph separators
                || (c >= '\u202a' && c <= '\u202e') // bidi embeddings and overrides
                || (c >= '\u2066' && c <= '\u2069') // bidi isolates
                || c == '\u200e' || c == '\u200f' || c == '\u061c'; // direction marks
    }
}
