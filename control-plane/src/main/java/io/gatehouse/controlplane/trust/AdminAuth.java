package io.gatehouse.controlplane.trust;

import java.util.Locale;

/**
 * How callers of the admin API ({@code AdminService}) authenticate on a control plane that serves
 * mutual TLS. Whatever the mode, the caller's role is then checked per method
 * ({@link AdminMethodRoles}).
 */
public enum AdminAuth {
    /**
     * A bearer token ({@code authorization: Bearer ght_...}) or an admin client certificate
     * ({@code spiffe://gatehouse/admin/<name>}, role from {@link CertificateRoles}). A token, when
     * sent, decides (an invalid one is refused even with a certificate). The default.
     */
    CERT_OR_TOKEN("cert-or-token"),
    /** Only an admin client certificate. */
    CLIENT_CERTIFICATE("client-cert"),
    /** Only a bearer token; certificates do not authenticate admin calls. */
    TOKEN("token"),
    /**
     * Any caller that completes the TLS handshake, as an admin (still encrypted, still verifying the
     * control plane). Logged as a warning at start; a token, if sent, is still checked and named.
     */
    NONE("none");

    private final String flag;

    AdminAuth(String flag) {
        this.flag = flag;
    }

    /** The value of {@code --admin-auth} / {@code GATEHOUSE_ADMIN_AUTH}. */
    public String flag() {
        return flag;
    }

    public boolean acceptsCertificates() {
        return this == CERT_OR_TOKEN || this == CLIENT_CERTIFICATE;
    }

    public boolean acceptsTokens() {
        return this == CERT_OR_TOKEN || this == TOKEN || this == NONE;
    }

    public static AdminAuth parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (AdminAuth mode : values()) {
            if (mode.flag.equals(v)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("GATEHOUSE_ADMIN_AUTH must be cert-or-token, client-cert, token or none, not '"
                + value + "'");
    }
}
