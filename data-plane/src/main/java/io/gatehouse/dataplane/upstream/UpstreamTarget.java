package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.Target;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * One upstream instance: where to send requests and how much traffic it gets.
 *
 * @param scheme "http" or "https"
 * @param host   host name or IP literal (IPv6 without brackets)
 * @param port   explicit or the scheme's default port
 * @param weight relative weight, at least 1
 * @param region region of the instance, "" when unknown
 */
public record UpstreamTarget(String scheme, String host, int port, int weight, String region) {

    public UpstreamTarget {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(region, "region");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1: " + weight);
        }
    }

    /**
     * Parses a configured target.
     *
     * @throws IllegalArgumentException if the URL is not an absolute http(s) URL with a host and no
     *                                  path, query, fragment or user info
     */
    public static UpstreamTarget fromConfig(Target target) {
        String url = target.getUrl();
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("target url '" + url + "' is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("target url '" + url + "' must use http or https");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("target url '" + url + "' has no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))) {
            throw new IllegalArgumentException("target url '" + url
                    + "' must not have a path, query, fragment or user info");
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        int weight = target.getWeight() == 0 ? 1 : target.getWeight();
        return new UpstreamTarget(scheme, host, port, weight, target.getRegion());
    }

    /** "host:port" as sent in the Host header (IPv6 literals in brackets). */
    public String authority() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Absolute URI for {@code rawPathAndQuery} (already encoded, starting with "/") on this target. */
    public String uriFor(String rawPathAndQuery) {
        return scheme + "://" + authority() + rawPathAndQuery;
    }
}
