package io.gatehouse.dataplane.request;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.http.ServerRequest;

import java.util.Locale;

/**
 * What a request line and its {@code Host} header address, read once: the canonical path
 * ({@link CanonicalPath}) and authority ({@link Authority}) that routing, every policy and the
 * upstream request use.
 *
 * <p>Forms (RFC 9112 §3.2): origin-form ({@code /a/b?q}) with a {@code Host} header, and
 * absolute-form ({@code http://host/a/b?q}, sent to proxies), whose authority must name the same
 * origin as {@code Host}: a gateway that routed on one and let the upstream read the other would
 * be confused by design. Asterisk-form and authority-form (CONNECT) are refused, as are fragments
 * and a query with characters outside visible ASCII. Immutable.
 *
 * @param path      the canonical path (never empty, starts with '/')
 * @param authority the canonical authority
 */
public record RequestTarget(String path, Authority authority) {

    /**
     * @param rawPath     the path as the request line carried it (without query and fragment; for
     *                    absolute-form the whole URI up to the query)
     * @param hasFragment whether the request line carried a '#' fragment
     * @param rawQuery    the raw query ("" when none)
     * @param host        the Host header value (null when absent)
     * @param scheme      "http" or "https": the listener's
     * @throws BadRequestTargetException with a client-safe reason
     */
    public static RequestTarget parse(String rawPath, boolean hasFragment, String rawQuery, String host,
                                      String scheme, PathRules rules) throws BadRequestTargetException {
        if (hasFragment) {
            throw new BadRequestTargetException("the request target must not carry a fragment ('#')");
        }
        checkQuery(rawQuery);
        Authority authority = Authority.parse(host);
        String path = rawPath;
        if (startsWithScheme(rawPath)) {
            int authorityStart = rawPath.indexOf("://") + 3;
            int pathStart = rawPath.indexOf('/', authorityStart);
            String targetAuthority = rawPath.substring(authorityStart, pathStart < 0 ? rawPath.length() : pathStart);
            if (targetAuthority.indexOf('@') >= 0) {
                throw new BadRequestTargetException("the request target must not carry user info");
            }
            String targetScheme = rawPath.substring(0, authorityStart - 3).toLowerCase(Locale.ROOT);
            if (!targetScheme.equals(scheme)) {
                throw new BadRequestTargetException("the request target's scheme '" + targetScheme
                        + "' does not match the connection's '" + scheme + "'");
            }
            if (!Authority.parse(targetAuthority).sameOrigin(authority, targetScheme)) {
                throw new BadRequestTargetException("the request target's authority does not match the Host header");
            }
            path = pathStart < 0 ? "/" : rawPath.substring(pathStart);
        }
        return new RequestTarget(CanonicalPath.normalize(path, rules), authority);
    }

    /** {@link #parse} of a server request's request line and Host header. */
    public static RequestTarget of(ServerRequest request, PathRules rules) throws BadRequestTargetException {
        HttpPrologue prologue = request.prologue();
        return parse(prologue.uriPath().rawPath(), prologue.fragment().hasValue(), prologue.query().rawValue(),
                request.headers().first(HeaderNames.HOST).orElse(null), request.isSecure() ? "https" : "http", rules);
    }

    private static boolean startsWithScheme(String raw) {
        return raw.regionMatches(true, 0, "http://", 0, 7) || raw.regionMatches(true, 0, "https://", 0, 8);
    }

    private static void checkQuery(String rawQuery) throws BadRequestTargetException {
        for (int i = 0; i < rawQuery.length(); i++) {
            char c = rawQuery.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                throw new BadRequestTargetException("the query contains a control, space or non-ASCII character;"
                        + " percent-encode it");
            }
        }
    }
}
