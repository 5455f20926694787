package io.gatehouse.controlplane.trust;

import io.gatehouse.pki.SpiffeId;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The role of each admin certificate, by the name in its identity
 * ({@code spiffe://gatehouse/admin/<name>}): {@code GATEHOUSE_ADMIN_CERT_ROLES}, e.g.
 * {@code "ci=operator,grafana=viewer,*=admin"}. A name not listed gets the {@code *} entry; without
 * one, it is refused. Default {@code *=admin}: an admin certificate is issued deliberately by
 * whoever holds the CA key, and was the whole admin API before roles existed.
 *
 * <p>Why a table rather than a role inside the certificate: a role baked into a certificate can only
 * be lowered by re-issuing it, while this table changes with a restart; and the certificate format
 * (pki's {@code SpiffeId}) stays the one data planes and the CLI already share. Immutable.
 */
public final class CertificateRoles {

    public static final CertificateRoles DEFAULT = parse("*=admin");

    private final Map<String, Role> byName;
    private final Optional<Role> fallback;

    private CertificateRoles(Map<String, Role> byName, Optional<Role> fallback) {
        this.byName = byName;
        this.fallback = fallback;
    }

    /** Parses "name=role,...,*=role". */
    public static CertificateRoles parse(String spec) {
        Map<String, Role> byName = new LinkedHashMap<>();
        Optional<Role> fallback = Optional.empty();
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("GATEHOUSE_ADMIN_CERT_ROLES: '" + e + "' is not NAME=ROLE");
            }
            String name = e.substring(0, eq).strip();
            Role role = Role.parse(e.substring(eq + 1));
            if (name.equals("*")) {
                fallback = Optional.of(role);
            } else {
                byName.put(name, role);
            }
        }
        return new CertificateRoles(Map.copyOf(byName), fallback);
    }

    /** The role of an admin certificate's identity; empty = not allowed at all. */
    public Optional<Role> roleOf(SpiffeId identity) {
        return Optional.ofNullable(byName.get(identity.name())).or(() -> fallback);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CertificateRoles r && r.byName.equals(byName) && r.fallback.equals(fallback);
    }

    @Override
    public int hashCode() {
        return byName.hashCode() * 31 + fallback.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        byName.forEach((n, r) -> out.append(out.isEmpty() ? "" : ",").append(n).append('=').append(r.label()));
        fallback.ifPresent(r -> out.append(out.isEmpty() ? "" : ",").append("*=").append(r.label()));
        return out.toString();
    }
}
