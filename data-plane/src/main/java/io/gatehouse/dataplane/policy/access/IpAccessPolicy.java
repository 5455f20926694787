package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.CidrSet;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.policy.SnapshotMemo;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.Route;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * IP allow/deny: {@code settings.access} (global) and {@code routes[].access}, checked against the
 * client address (after {@link ClientAddressPolicy}). Deny wins over allow; a non-empty allow list
 * admits only its blocks; both levels must admit. Rejects with 403 {@code forbidden}. Runs right after
 * route lookup. Thread-safe; matchers compiled once per snapshot.
 */
public final class IpAccessPolicy implements Policy {

    /** One level's lists. */
    record Rules(CidrSet allow, CidrSet deny) {
        static final Rules NONE = new Rules(CidrSet.EMPTY, CidrSet.EMPTY);

        static Rules of(AccessControl access, String path) {
            if (access.getAllowCount() == 0 && access.getDenyCount() == 0) {
                return NONE;
            }
            return new Rules(CidrSet.parseLenient(access.getAllowList(), path + ".allow"),
                    CidrSet.parseLenient(access.getDenyList(), path + ".deny"));
        }

        boolean admits(InetAddress address) {
            if (deny.contains(address)) {
                return false;
            }
            return allow.isEmpty() || allow.contains(address);
        }
    }

    record Compiled(Rules global, Map<String, Rules> routes) {
    }

    private final SnapshotMemo<Compiled> compiled = new SnapshotMemo<>(IpAccessPolicy::compile);

    static Compiled compile(CompiledSnapshot snapshot) {
        var config = snapshot.snapshot().getConfig();
        Map<String, Rules> routes = new HashMap<>();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            Rules rules = Rules.of(route.getAccess(), "routes[" + i + "].access");
            if (rules != Rules.NONE) {
                routes.put(route.getId(), rules);
            }
        }
        return new Compiled(Rules.of(config.getSettings().getAccess(), "settings.access"), Map.copyOf(routes));
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        if (exchange.snapshot() != null) {
            Compiled rules = compiled.get(exchange.snapshot());
            InetAddress client = exchange.clientAddress();
            Rules route = exchange.route() == null ? Rules.NONE
                    : rules.routes().getOrDefault(exchange.route().id(), Rules.NONE);
            if (!rules.global().admits(client) || !route.admits(client)) {
                throw GatewayError.IP_DENIED.exception("client address not allowed");
            }
        }
        next.proceed(exchange);
    }
}
