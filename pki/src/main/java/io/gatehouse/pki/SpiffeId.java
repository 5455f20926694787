package io.gatehouse.pki;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a Gatehouse certificate speaks for, written as a SPIFFE ID in the certificate's URI
 * subject alternative name (the same convention as Envoy, Istio and Consul):
 *
 * <pre>
 * spiffe://gatehouse/cp/&lt;name&gt;               a control plane (all replicas may share one)
 * spiffe://gatehouse/dp/&lt;region&gt;/&lt;node-id&gt;   one data plane, pinned to its node id and region
 * spiffe://gatehouse/dp/&lt;region&gt;             any data plane of that region (node ids chosen by the
 *                                           data planes, e.g. Kubernetes pod names)
 * spiffe://gatehouse/admin/&lt;name&gt;            an operator or tool calling the admin API
 * </pre>
 *
 * <p>Segments are 1-128 characters of {@code [A-Za-z0-9._-]} (SPIFFE's path grammar), so an id or a
 * region can never smuggle a {@code /}. Immutable.
 *
 * @param kind   which role
 * @param region the data plane's region; "" for other kinds
 * @param name   the control plane's or admin's name, or the data plane's node id; "" for a
 *               region-wide data plane identity
 */
public record SpiffeId(Kind kind, String region, String name) {

    /** The trust domain of every Gatehouse identity. */
    public static final String TRUST_DOMAIN = "gatehouse";
    private static final String PREFIX = "spiffe://" + TRUST_DOMAIN + "/";
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /** The roles a certificate can hold; {@link #path} is the first path segment of the URI. */
    public enum Kind {
        CONTROL_PLANE("cp"),
        DATA_PLANE("dp"),
        ADMIN("admin");

        private final String path;

        Kind(String path) {
            this.path = path;
        }

        public String path() {
            return path;
        }
    }

    public SpiffeId {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(name, "name");
        if (kind == Kind.DATA_PLANE) {
            checkSegment("region", region);
            if (!name.isEmpty()) {
                checkSegment("node id", name);
            }
        } else {
            if (!region.isEmpty()) {
                throw new IllegalArgumentException("only data plane identities have a region");
            }
            checkSegment("name", name);
        }
    }

    public static SpiffeId controlPlane(String name) {
        return new SpiffeId(Kind.CONTROL_PLANE, "", name);
    }

    /** A data plane pinned to {@code nodeId} in {@code region}. */
    public static SpiffeId dataPlane(String region, String nodeId) {
        return new SpiffeId(Kind.DATA_PLANE, region, nodeId);
    }

    /** Any data plane of {@code region}; each chooses its own node id. */
    public static SpiffeId anyDataPlaneOf(String region) {
        return new SpiffeId(Kind.DATA_PLANE, region, "");
    }

    public static SpiffeId admin(String name) {
        return new SpiffeId(Kind.ADMIN, "", name);
    }

    /** The data plane's node id when the identity pins one; empty for control planes, admins and region-wide ids. */
    public Optional<String> nodeId() {
        return kind == Kind.DATA_PLANE && !name.isEmpty() ? Optional.of(name) : Optional.empty();
    }

    /**
     * Whether a data plane holding this identity may call itself {@code nodeId} in {@code region}:
     * the region must be this one, and the node id this one unless the identity is region-wide.
     */
    public boolean admits(String nodeId, String region) {
        return kind == Kind.DATA_PLANE && this.region.equals(region) && (name.isEmpty() || name.equals(nodeId));
    }

    /** {@code spiffe://gatehouse/...}. */
    public String uri() {
        return switch (kind) {
            case DATA_PLANE -> PREFIX + kind.path + "/" + region + (name.isEmpty() ? "" : "/" + name);
            case CONTROL_PLANE, ADMIN -> PREFIX + kind.path + "/" + name;
        };
    }

    @Override
    public String toString() {
        return uri();
    }

    /**
     * Parses a Gatehouse SPIFFE ID.
     *
     * @throws IllegalArgumentException when {@code uri} is not one (another trust domain, an unknown
     *                                  kind, a bad segment, a query or fragment)
     */
    public static SpiffeId parse(String uri) {
        if (!uri.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a " + PREFIX + " identity: " + uri);
        }
        String[] parts = uri.substring(PREFIX.length()).split("/", -1);
        String kind = parts[0];
        if (kind.equals(Kind.DATA_PLANE.path) && (parts.length == 2 || parts.length == 3)) {
            return new SpiffeId(Kind.DATA_PLANE, parts[1], parts.length == 3 ? parts[2] : "");
        }
        if (parts.length == 2) {
            for (Kind k : Kind.values()) {
                if (k != Kind.DATA_PLANE && k.path.equals(kind)) {
                    return new SpiffeId(k, "", parts[1]);
                }
            }
        }
        throw new IllegalArgumentException("not a Gatehouse identity (cp/NAME, dp/REGION[/NODE], admin/NAME): " + uri);
    }

    /**
     * The Gatehouse identity in {@code certificate}'s URI subject alternative names; empty when it
     * has none.
     *
     * @throws IllegalArgumentException when it names several, or one that does not parse: such a
     *                                  certificate is refused rather than guessed at
     */
    public static Optional<SpiffeId> of(X509Certificate certificate) {
        List<String> uris = uriNames(certificate);
        List<String> ours = uris.stream().filter(u -> u.startsWith(PREFIX)).toList();
        if (ours.size() > 1) {
            throw new IllegalArgumentException("certificate names " + ours.size() + " Gatehouse identities: " + ours);
        }
        return ours.isEmpty() ? Optional.empty() : Optional.of(parse(ours.getFirst()));
    }

    private static List<String> uriNames(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable subject alternative names: " + e.getMessage(), e);
        }
        List<String> uris = new ArrayList<>();
        if (names != null) {
            for (List<?> entry : names) {
                // RFC 5280 GeneralName: 6 = uniformResourceIdentifier
                if (entry.size() >= 2 && Integer.valueOf(6).equals(entry.get(0)) && entry.get(1) instanceof String s) {
                    uris.add(s);
                }
            }
        }
        return uris;
    }

    private static void checkSegment(String what, String value) {
        if (!SEGMENT.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException(what + " must be 1-128 characters of A-Z a-z 0-9 . _ - (not . or ..): '"
                    + value + "'");
        }
    }
}
