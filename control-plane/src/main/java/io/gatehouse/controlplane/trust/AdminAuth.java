package io.gatehouse.controlplane.trust;

import java.util.Locale;

/**
 * Who may call the admin API ({@code AdminService}) on a control plane that serves mutual TLS.
 * Admin tokens with roles are meant to become a third mode; until then the admin API is not left
 * open by default.
 */
public enum AdminAuth {
    /** A client certificate naming {@code spiffe://gatehouse/admin/<name>}, from the trusted CA. The default. */
    CLIENT_CERTIFICATE("client-cert"),
    /**
     * Any caller that completes the TLS handshake, with or without a certificate (still encrypted,
     * still verifying the control plane). Logged as a warning at start.
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

    public static AdminAuth parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (AdminAuth mode : values()) {
            if (mode.flag.equals(v)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("GATEHOUSE_ADMIN_AUTH must be client-cert or none, not '" + value + "'");
    }
}
