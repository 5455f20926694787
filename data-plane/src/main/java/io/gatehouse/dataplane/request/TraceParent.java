package io.gatehouse.dataplane.request;

/**
 * Validation of a W3C Trace Context {@code traceparent} value (https://www.w3.org/TR/trace-context/
 * §3.2): {@code version-traceid-parentid-flags} in lower-case hex, version not {@code ff}, ids not all
 * zeros; version 00 is exactly 55 characters, later versions may append {@code -...}. A client's
 * invalid value is dropped before forwarding whether or not the gateway traces, so an upstream never
 * parses one (nor its {@code tracestate}). Stateless.
 */
public final class TraceParent {

    private static final int LENGTH = 55;

    private TraceParent() {
    }

    public static boolean isValid(String value) {
        if (value == null || value.length() < LENGTH) {
            return false;
        }
        if (!lowerHex(value, 0, 2) || value.startsWith("ff") || value.charAt(2) != '-'
                || !lowerHex(value, 3, 35) || value.charAt(35) != '-'
                || !lowerHex(value, 36, 52) || value.charAt(52) != '-' || !lowerHex(value, 53, 55)) {
            return false;
        }
        if (allZeros(value, 3, 35) || allZeros(value, 36, 52)) {
            return false;
        }
        if (value.startsWith("00")) {
            return value.length() == LENGTH;
        }
        return value.length() == LENGTH || value.charAt(LENGTH) == '-';
    }

    private static boolean lowerHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean allZeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
