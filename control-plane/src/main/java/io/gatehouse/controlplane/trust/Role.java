package io.gatehouse.controlplane.trust;

import java.util.Locale;

/**
 * What an authenticated admin caller may do. Ordered: each role includes the ones before it.
 * Which method needs which role is {@link AdminMethodRoles}.
 */
public enum Role {
    /** Read: validate, versions, show, diff, data planes. */
    VIEWER,
    /** viewer + apply, rollback, API keys, secrets, prune, audit. */
    OPERATOR,
    /** operator + admin tokens and the key-encryption key. */
    ADMIN;

    /** Whether this role may do what {@code required} may. */
    public boolean includes(Role required) {
        return compareTo(required) >= 0;
    }

    /** "viewer", "operator", "admin": the database and flag spelling. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("role must be viewer, operator or admin, not '" + value + "'", e);
        }
    }

    public io.gatehouse.proto.admin.v1.Role toProto() {
        return switch (this) {
            case VIEWER -> io.gatehouse.proto.admin.v1.Role.VIEWER;
            case OPERATOR -> io.gatehouse.proto.admin.v1.Role.OPERATOR;
            case ADMIN -> io.gatehouse.proto.admin.v1.Role.ADMIN;
        };
    }

    /** The role in a request; unset or unknown values are refused. */
    public static Role fromProto(io.gatehouse.proto.admin.v1.Role role) {
        return switch (role) {
            case VIEWER -> VIEWER;
            case OPERATOR -> OPERATOR;
            case ADMIN -> ADMIN;
            default -> throw new IllegalArgumentException("role must be viewer, operator or admin");
        };
    }
}
