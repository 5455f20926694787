package io.gatehouse.dataplane.upstream.http1;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads an upstream response head from a {@link ConnectionInput}, strictly (RFC 9112), and decides
 * how its body is delimited. Anything it does not accept is a {@link MalformedResponseException};
 * the caller then never reuses the connection.
 * <ul>
 * <li>Status line: {@code HTTP/1.0} or {@code HTTP/1.1}, SP, three digits (100-599), then SP and a
 * reason phrase (may be empty or missing); at most {@link #MAX_STATUS_LINE} bytes.</li>
 * <li>Header fields: the name a token directly followed by {@code :}; the value without CR, LF, NUL
 * or other controls but HTAB, optional whitespace around it dropped; no obs-fold (a line starting
 * with whitespace, RFC 9112 §5.2); every line ends in CRLF. The fields and the empty line after them
 * at most {@link #MAX_HEAD_BYTES}.</li>
 * <li>Content-Length: digits only; repeated (in one field as a list or in several) only with the
 * same value (RFC 9110 §8.6), else an error.</li>
 * <li>Transfer-Encoding and Content-Length together: an error (RFC 9112 §6.3: a request smuggling
 * or response splitting attempt), as is Transfer-Encoding on an HTTP/1.0 response (§6.1).</li>
 * <li>Body: none for HEAD, 1xx, 204, 304; chunked when it is the final transfer coding; else
 * Content-Length; else until the connection closes.</li>
 * </ul>
 * The limits are those of the Helidon client this replaces ({@code Http1ClientProtocolConfig}
 * {@code max-status-line-length} 256, {@code max-header-size} 16384). Stateless.
 */
public final class Http1ResponseParser {

    /** Longest status line, CRLF excluded (Helidon's client: 256). */
    public static final int MAX_STATUS_LINE = 256;
    /** Most bytes of header fields, the empty line included (Helidon's client: 16 KiB); also caps trailers. */
    public static final int MAX_HEAD_BYTES = 16 * 1024;

    private static final boolean[] TOKEN = tokenChars();

    private Http1ResponseParser() {
    }

    /**
     * Reads one response head for a request with {@code method}.
     *
     * @param skipContinue skip one {@code 100 Continue} before the final response (a streamed request
     *                     body, as Helidon's client does); otherwise a 1xx is returned as it is
     * @throws MalformedResponseException the head breaks a rule above
     * @throws java.io.EOFException       the upstream closed the connection before the head was complete
     */
    public static ResponseHead read(ConnectionInput in, Method method, boolean skipContinue) throws IOException {
        while (true) {
            ResponseHead head = readOne(in, method);
            if (skipContinue && head.status().code() == 100) {
                skipContinue = false;
                continue;
            }
            return head;
        }
    }

    private static ResponseHead readOne(ConnectionInput in, Method method) throws IOException {
        int end = in.lineEnd(MAX_STATUS_LINE + 2);
        byte[] b = in.array();
        int p = in.position();
        int length = lineLength(b, p, end);
        // "HTTP/1.x NNN"
        if (length < 12 || !startsWith(b, p, "HTTP/1.") || (b[p + 7] != '0' && b[p + 7] != '1') || b[p + 8] != ' '
                || !isDigit(b[p + 9]) || !isDigit(b[p + 10]) || !isDigit(b[p + 11])
                || (length > 12 && b[p + 12] != ' ')) {
            throw new MalformedResponseException("invalid status line: " + printable(b, p, length));
        }
        boolean http10 = b[p + 7] == '0';
        int code = (b[p + 9] - '0') * 100 + (b[p + 10] - '0') * 10 + (b[p + 11] - '0');
        if (code < 100 || code > 599) {
            throw new MalformedResponseException("invalid status code " + code);
        }
        String reason = "";
        if (length > 13) {
            checkFieldValue(b, p + 13, p + length, "reason phrase");
            reason = new String(b, p + 13, length - 13, StandardCharsets.ISO_8859_1);
        }
        in.skip(end + 1);
        Status status = reason.isEmpty() ? Status.create(code) : Status.create(code, reason);

        WritableHeaders<?> headers = WritableHeaders.create();
        long contentLength = readFields(in, headers, true);
        boolean chunked = false;
        if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            if (contentLength >= 0) {
                throw new MalformedResponseException("both Transfer-Encoding and Content-Length");
            }
            if (http10) {
                throw new MalformedResponseException("Transfer-Encoding on an HTTP/1.0 response");
            }
            chunked = chunkedIsFinal(headers);
        }
        ResponseHead.Framing framing;
        if (method == Method.HEAD || code < 200 || code == 204 || code == 304) {
            framing = ResponseHead.Framing.NONE;
        } else if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            framing = chunked ? ResponseHead.Framing.CHUNKED : ResponseHead.Framing.CLOSE;
        } else if (contentLength >= 0) {
            framing = ResponseHead.Framing.LENGTH;
        } else {
            framing = ResponseHead.Framing.CLOSE;
        }
        return new ResponseHead(status, headers, http10, framing,
                framing == ResponseHead.Framing.LENGTH ? contentLength : -1);
    }

    /**
     * Reads header (or trailer) field lines up to and including the empty line, adding them to
     * {@code headers} (null: validated and dropped).
     *
     * @return the Content-Length they declare, -1 for none
     */
    static long readFields(ConnectionInput in, WritableHeaders<?> headers, boolean lengthAllowed) throws IOException {
        int budget = MAX_HEAD_BYTES;
        long contentLength = -1;
        while (true) {
            if (budget <= 0) {
                throw new MalformedResponseException("response head larger than " + MAX_HEAD_BYTES + " bytes");
            }
            int end;
            try {
                end = in.lineEnd(budget);
            } catch (MalformedResponseException e) {
                throw new MalformedResponseException("response head larger than " + MAX_HEAD_BYTES + " bytes");
            }
            byte[] b = in.array();
            int p = in.position();
            int length = lineLength(b, p, end);
            budget -= end + 1;
            if (length == 0) {
                in.skip(end + 1);
                return contentLength;
            }
            if (b[p] == ' ' || b[p] == '\t') {
                throw new MalformedResponseException("obsolete line folding in a header field");
            }
            int colon = p;
            int lineEnd = p + length;
            while (colon < lineEnd && b[colon] != ':') {
                if (!TOKEN[b[colon] & 0xff]) {
                    throw new MalformedResponseException("invalid header field name: " + printable(b, p, length));
                }
                colon++;
            }
            if (colon == p || colon == lineEnd) {
                throw new MalformedResponseException("invalid header field: " + printable(b, p, length));
            }
            int valueStart = colon + 1;
            while (valueStart < lineEnd && (b[valueStart] == ' ' || b[valueStart] == '\t')) {
                valueStart++;
            }
            int valueEnd = lineEnd;
            while (valueEnd > valueStart && (b[valueEnd - 1] == ' ' || b[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            checkFieldValue(b, valueStart, valueEnd, "header field value");
            String name = new String(b, p, colon - p, StandardCharsets.ISO_8859_1);
            String value = new String(b, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
            in.skip(end + 1);
            if (headers == null) {
                continue; // a trailer: checked, not kept
            }
            HeaderName headerName = HeaderNames.create(name);
            if (headerName.equals(HeaderNames.CONTENT_LENGTH)) {
                if (!lengthAllowed) {
                    throw new MalformedResponseException("Content-Length in a trailer");
                }
                boolean repeated = contentLength >= 0;
                contentLength = contentLength(value, contentLength);
                if (repeated) {
                    continue; // the same length again: relayed once
                }
                if (value.indexOf(',') >= 0) {
                    value = Long.toString(contentLength); // "5, 5": relayed as the one length it states
                }
            }
            headers.add(HeaderValues.create(headerName, value));
        }
    }

    /** The length a Content-Length value states, the same as {@code earlier} unless that is -1 (RFC 9110 §8.6). */
    private static long contentLength(String value, long earlier) throws MalformedResponseException {
        long result = earlier;
        int start = 0;
        while (start <= value.length()) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            String element = value.substring(start, end).strip();
            if (element.isEmpty() || element.length() > 18) {
                throw new MalformedResponseException("invalid Content-Length: " + value);
            }
            long length = 0;
            for (int i = 0; i < element.length(); i++) {
                char c = element.charAt(i);
                if (c < '0' || c > '9') {
                    throw new MalformedResponseException("invalid Content-Length: " + value);
                }
                length = length * 10 + (c - '0');
            }
            if (result >= 0 && result != length) {
                throw new MalformedResponseException("conflicting Content-Length values");
            }
            result = length;
            start = end + 1;
        }
        return result;
    }

    /** Whether chunked is the last transfer coding listed (RFC 9112 §6.3 rule 4). */
    private static boolean chunkedIsFinal(WritableHeaders<?> headers) {
        java.util.List<String> values = headers.get(HeaderNames.TRANSFER_ENCODING).allValues();
        String last = values.getLast();
        String coding = last.substring(last.lastIndexOf(',') + 1).strip();
        return coding.equalsIgnoreCase("chunked");
    }

    /** The line's length without its CRLF; a LF without CR before it is an error. */
    static int lineLength(byte[] b, int position, int lfOffset) throws MalformedResponseException {
        if (lfOffset == 0 || b[position + lfOffset - 1] != '\r') {
            throw new MalformedResponseException("line not ended by CRLF");
        }
        return lfOffset - 1;
    }

    /** Field content (RFC 9110 §5.5): HTAB, SP, visible ASCII, obs-text; no other control. */
    static void checkFieldValue(byte[] b, int from, int to, String what) throws MalformedResponseException {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new MalformedResponseException("control character 0x" + Integer.toHexString(c) + " in a " + what);
            }
        }
    }

    private static boolean startsWith(byte[] b, int p, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (b[p + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** For messages: the line with anything but visible ASCII escaped, at most 80 characters. */
    private static String printable(byte[] b, int from, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < from + Math.min(length, 80); i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f) {
                s.append((char) c);
            } else {
                s.append(String.format("\\x%02x", c));
            }
        }
        return s.toString();
    }

    /** tchar (RFC 9110 §5.6.2). */
    private static boolean[] tokenChars() {
        boolean[] token = new boolean[256];
        for (char c = '0'; c <= '9'; c++) {
            token[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            token[c] = true;
            token[Character.toUpperCase(c)] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            token[c] = true;
        }
        return token;
    }
}
