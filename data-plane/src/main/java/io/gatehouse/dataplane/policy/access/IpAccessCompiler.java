package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.CidrSet;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.List;

/** Compiles {@code settings.access} and every {@code routes[].access} into {@link IpRules}; strict. */
final class IpAccessCompiler implements PolicyCompiler {

    static final Parts.Key<IpRules> GLOBAL = Parts.Key.of("access.global", IpRules.NONE);
    static final Parts.Key<IpRules> ROUTE = Parts.Key.of("access.route", IpRules.NONE);

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        GatewayConfig config = snapshot.getConfig();
        if (config.getSettings().hasAccess()) {
            gateway.put(GLOBAL, rules(config.getSettings().getAccess(), "settings.access"));
        }
        for (int i = 0; i < config.getRoutesCount(); i++) {
            if (config.getRoutes(i).hasAccess()) {
                routes.get(i).put(ROUTE, rules(config.getRoutes(i).getAccess(), "routes[" + i + "].access"));
            }
        }
    }

    /** @throws IllegalArgumentException "path.allow: ..." for a block that does not parse */
    static IpRules rules(AccessControl access, String path) {
        if (access.getAllowCount() == 0 && access.getDenyCount() == 0) {
            return IpRules.NONE;
        }
        return new IpRules(cidrs(access.getAllowList(), path + ".allow"), cidrs(access.getDenyList(), path + ".deny"));
    }

    static CidrSet cidrs(List<String> blocks, String path) {
        try {
            return CidrSet.parse(blocks);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }
}
