package io.gatehouse.controlplane.trust;

import io.gatehouse.proto.admin.v1.AdminServiceGrpc;

import java.util.Map;
import java.util.Optional;

/**
 * The one table of which role each admin API method needs (issue 12): viewer reads, operator changes
 * config, keys and secrets, admin manages tokens and the key-encryption key. A method missing here is
 * refused to everyone ({@link #required} is empty), and a test checks that every method of
 * {@code AdminService} is listed, so a new RPC cannot ship unguarded.
 */
public final class AdminMethodRoles {

    private static final Map<String, Role> BY_METHOD = Map.ofEntries(
            Map.entry("Validate", Role.VIEWER),
            Map.entry("ListVersions", Role.VIEWER),
            Map.entry("GetVersion", Role.VIEWER),
            Map.entry("Diff", Role.VIEWER),
            Map.entry("ListDataPlanes", Role.VIEWER),
            Map.entry("WhoAmI", Role.VIEWER),
            Map.entry("GetRollout", Role.VIEWER),
            Map.entry("ListRollouts", Role.VIEWER),
            Map.entry("ControlRollout", Role.OPERATOR),
            Map.entry("Apply", Role.OPERATOR),
            Map.entry("Rollback", Role.OPERATOR),
            Map.entry("PruneDataPlanes", Role.OPERATOR),
            Map.entry("CreateApiKey", Role.OPERATOR),
            Map.entry("ListApiKeys", Role.OPERATOR),
            Map.entry("RevokeApiKey", Role.OPERATOR),
            Map.entry("SetSecret", Role.OPERATOR),
            Map.entry("ListSecrets", Role.OPERATOR),
            Map.entry("DeleteSecret", Role.OPERATOR),
            Map.entry("ListAudit", Role.OPERATOR),
            Map.entry("CreateToken", Role.ADMIN),
            Map.entry("ListTokens", Role.ADMIN),
            Map.entry("RevokeToken", Role.ADMIN),
            Map.entry("RotateKek", Role.ADMIN));

    private AdminMethodRoles() {
    }

    /** The role {@code fullMethodName} ("gatehouse.admin.v1.AdminService/Apply") needs; empty = unknown. */
    public static Optional<Role> required(String fullMethodName) {
        String prefix = AdminServiceGrpc.SERVICE_NAME + "/";
        if (!fullMethodName.startsWith(prefix)) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_METHOD.get(fullMethodName.substring(prefix.length())));
    }

    /** The table, by bare method name ("Apply"). */
    public static Map<String, Role> table() {
        return BY_METHOD;
    }
}
