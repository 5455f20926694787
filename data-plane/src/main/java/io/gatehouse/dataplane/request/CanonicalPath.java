package io.gatehouse.dataplane.request;

import java.util.ArrayList;
import java.util.List;

/**
 * The one interpretation of a request path that routing, every policy, the access log, traces and
 * the upstream request share. A proxy that routes on one reading of a path and forwards another is
 * open to path confusion: {@code /svc/../secure/x} matches the unauthenticated route {@code /svc}
 * and the upstream serves {@code /secure/x}.
 *
 * <p>{@link #normalize} turns the raw path of the request line into its canonical form:
 * <ol>
 *   <li>Every character must be an RFC 3986 {@code pchar} or {@code /}; anything else (space,
 *       control characters, non-ASCII bytes, {@code \}, {@code "}, {@code <}, {@code >}, {@code {}}...)
 *       must arrive percent-encoded.</li>
 *   <li>Percent-encodings must be well formed. Encoded unreserved characters are decoded
 *       ({@code %7Euser} is {@code ~user}, {@code %2e} is {@code .}), every other encoding is kept
 *       with upper-case hex (RFC 3986 §6.2.2.1-2). Encoded control characters ({@code %00}-{@code %1F},
 *       {@code %7F}) are refused: no upstream needs them and many mishandle them.</li>
 *   <li>{@code %2F} and {@code %5C}: refused or kept encoded inside their segment ({@link PathRules});
 *       kept ones may not hide a dot segment ({@code ..%2F..} is refused): an upstream that decodes
 *       them before resolving dots would climb out of the route.</li>
 *   <li>{@code ;} is refused: servlet containers strip {@code ;params} from segments (and read
 *       {@code ..;x} as {@code ..}), so the upstream would serve another path than the one routed.</li>
 *   <li>Empty segments ({@code //}): merged, refused or kept. A trailing slash is always kept
 *       ({@code /health/} is not {@code /health}).</li>
 *   <li>Dot segments are removed (RFC 3986 §5.2.4), after decoding, so {@code %2e%2e} counts. A
 *       {@code ..} with nothing left to remove escapes the root: refused.</li>
 * </ol>
 * Normalizing is idempotent. The common path (nothing to change) is checked in one scan and returned
 * as is, without allocation. Stateless; thread-safe.
 */
public final class CanonicalPath {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** RFC 3986 pchar without '%' (handled apart), plus '/'. */
    private static final boolean[] ALLOWED = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            ALLOWED[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            ALLOWED[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            ALLOWED[c] = true;
        }
        for (char c : "-._~!$&'()*+,;=:@/".toCharArray()) {
            ALLOWED[c] = true;
        }
    }

    /**
     * The most accepting rules (encoded separators kept, empty segments merged), used
     * to find which route a path refused by the gateway's rules would go to, so that route's own rules
     * can decide.
     */
    public static final PathRules LENIENT = new PathRules(PathRules.Slashes.MERGE, PathRules.Separators.KEEP);

    private CanonicalPath() {
    }

    /**
     * The canonical form of {@code rawPath} (the path of an origin-form request target: no query, no
     * fragment) under {@code rules}.
     *
     * @throws BadRequestTargetException with a client-safe reason when the path is refused
     */
    public static String normalize(String rawPath, PathRules rules) throws BadRequestTargetException {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw new BadRequestTargetException("the request target must be an absolute path starting with '/'");
        }
        return alreadyCanonical(rawPath) ? rawPath : rebuild(rawPath, rules);
    }

    /**
     * One scan: only allowed characters, no '%', no ';', no "//" and no segment starting with '.'.
     * (A segment that only starts with a dot, like ".well-known", takes the slow path but comes out
     * unchanged.)
     */
    private static boolean alreadyCanonical(String path) {
        char previous = 0;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c >= 128 || !ALLOWED[c] || c == ';' || (previous == '/' && (c == '/' || c == '.'))) {
                return false;
            }
            previous = c;
        }
        return true;
    }

    private static String rebuild(String raw, PathRules rules) throws BadRequestTargetException {
        List<String> segments = new ArrayList<>();
        boolean trailingSlash = false;
        int start = 1;
        while (true) {
            int end = raw.indexOf('/', start);
            boolean last = end < 0;
            String segment = decodeSegment(raw, start, last ? raw.length() : end, rules);
            if (segment.equals(".") || segment.equals("..")) {
                if (segment.equals("..")) {
                    if (segments.isEmpty()) {
                        throw new BadRequestTargetException("the path escapes the root with '..'");
                    }
                    segments.removeLast();
                }
                trailingSlash = true; // "/a/." and "/a/b/.." end in a directory (RFC 3986 §5.2.4)
            } else if (segment.isEmpty()) {
                if (last) {
                    trailingSlash = true;
                } else if (rules.slashes() == PathRules.Slashes.REJECT) {
                    throw new BadRequestTargetException("the path contains an empty segment ('//')", true);
                } else if (rules.slashes() == PathRules.Slashes.KEEP) {
                    segments.add("");
                }
                // MERGE: an empty segment in the middle disappears
            } else {
                segments.add(segment);
                trailingSlash = false;
            }
            if (last) {
                break;
            }
            start = end + 1;
        }
        StringBuilder out = new StringBuilder(raw.length());
        for (String segment : segments) {
            out.append('/').append(segment);
        }
        if (trailingSlash || segments.isEmpty()) {
            out.append('/');
        }
        return out.toString();
    }

    /** One segment [from, to) of the raw path with its encodings normalized; see the class comment. */
    private static String decodeSegment(String raw, int from, int to, PathRules rules)
            throws BadRequestTargetException {
        StringBuilder out = new StringBuilder(to - from);
        boolean separator = false; // a kept %2F or %5C
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= to) {
                    throw new BadRequestTargetException("the path has an incomplete percent-encoding");
                }
                int value = hex(raw.charAt(i + 1)) << 4 | hex(raw.charAt(i + 2));
                if (value < 0) {
                    throw new BadRequestTargetException("the path has an invalid percent-encoding");
                }
                separator |= appendDecoded(out, value, rules);
                i += 2;
            } else if (c == ';') {
                throw new BadRequestTargetException("the path contains a ';' parameter");
            } else if (c >= 128 || !ALLOWED[c]) {
                throw new BadRequestTargetException(c < 0x20 || c == 0x7f || c >= 128
                        ? "the path contains a control or non-ASCII character; percent-encode it"
                        : "the path contains '" + c + "'; percent-encode it");
            } else {
                out.append(c);
            }
        }
        String segment = out.toString();
        if (separator && hidesDotSegment(segment)) {
            throw new BadRequestTargetException("the path hides a dot segment behind an encoded separator");
        }
        return segment;
    }

    /** Whether splitting {@code segment} at its kept %2F / %5C gives a "." or ".." piece. */
    private static boolean hidesDotSegment(String segment) {
        for (String piece : segment.split("%2F|%5C", -1)) {
            if (piece.equals(".") || piece.equals("..")) {
                return true;
            }
        }
        return false;
    }

    /** Appends one decoded %XX; returns whether it was a kept encoded separator. */
    private static boolean appendDecoded(StringBuilder out, int value, PathRules rules) throws BadRequestTargetException {
        if (value < 0x20 || value == 0x7f) {
            throw new BadRequestTargetException("the path contains an encoded control character");
        }
        if (value < 128 && isUnreserved((char) value)) {
            out.append((char) value);
            return false;
        }
        boolean separator = value == '/' || value == '\\';
        if (separator && rules.separators() == PathRules.Separators.REJECT) {
            throw new BadRequestTargetException("the path contains an encoded '" + (char) value + "'", true);
        }
        out.append('%').append(HEX[value >> 4]).append(HEX[value & 0xF]);
        return separator;
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** 0-15, or a negative number for a non-hex character. */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -256;
    }
}
