package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.CidrSet;
import io.gatehouse.config.UpstreamAddresses;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.policy.SnapshotMemo;
import io.gatehouse.dataplane.proxy.GatewayError;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.proto.config.v1.UpstreamPolicy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Re-checks upstream addresses at connect time (SSRF, DNS rebinding): the control plane validated the
 * target host names, but a name can resolve to something else later. The forwarder calls
 * {@link #checkBeforeConnect(Exchange, String)} with the target host right before connecting; the host
 * is resolved ({@link InetAddress#getAllByName}, cached per snapshot for {@link #RESOLVE_TTL_MILLIS})
 * and if ANY address is forbidden the request fails with 502 {@code upstream_forbidden}.
 *
 * <p>Always forbidden: link-local (169.254.0.0/16, fe80::/10, incl. the cloud metadata address),
 * fd00:ec2::254, 0.0.0.0/8 / unspecified, multicast. Loopback (127.0.0.0/8, ::1) is forbidden unless
 * {@code settings.upstream_policy.allow_loopback} is true, also when there is no upstream policy: the
 * control plane rejects loopback literals and "localhost", but any other name may resolve to loopback
 * (an /etc/hosts entry, a rebinding DNS server). With an upstream policy whose {@code allowed_cidrs} is
 * non-empty, resolved addresses must be in one of them (host names listed in {@code allowed_hosts} are
 * exempt from the CIDR rule).
 *
 * <p>Installed as a policy (it puts itself on the exchange); a no-op when absent. Thread-safe.
 */
public final class UpstreamAddressGuard implements Policy {

    static final long RESOLVE_TTL_MILLIS = 5_000;
    private static final Exchange.Key<UpstreamAddressGuard> KEY = Exchange.Key.named("upstream-address-guard");

    /** The rules of one snapshot plus its resolution cache (dropped with the snapshot). */
    record Rules(boolean enforceLoopback, CidrSet allowedCidrs, List<String> allowedHosts,
                 Map<String, Resolved> cache) {
    }

    record Resolved(InetAddress[] addresses, long expiresAtMillis) {
    }

    private final LongSupplier millisClock;
    private final SnapshotMemo<Rules> rules = new SnapshotMemo<>(UpstreamAddressGuard::compile);

    public UpstreamAddressGuard(LongSupplier millisClock) {
        this.millisClock = millisClock;
    }

    public UpstreamAddressGuard() {
        this(System::currentTimeMillis);
    }

    static Rules compile(CompiledSnapshot snapshot) {
        var settings = snapshot.snapshot().getConfig().getSettings();
        UpstreamPolicy policy = settings.getUpstreamPolicy(); // the default instance when absent: loopback refused
        return new Rules(!policy.getAllowLoopback(),
                CidrSet.parseLenient(policy.getAllowedCidrsList(), "settings.upstreamPolicy.allowedCidrs"),
                policy.getAllowedHostsList(), new ConcurrentHashMap<>());
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        exchange.attribute(KEY, this);
        next.proceed(exchange);
    }

    /**
     * Called by the forwarder before it connects to {@code host}; does nothing when the guard is not
     * in the chain.
     *
     * @throws io.gatehouse.dataplane.proxy.GatewayException 502 upstream_forbidden
     */
    public static void checkBeforeConnect(Exchange exchange, String host) {
        exchange.attribute(KEY).ifPresent(guard -> guard.check(exchange.snapshot(), host));
    }

    void check(CompiledSnapshot snapshot, String host) {
        if (snapshot == null) {
            return;
        }
        Rules r = rules.get(snapshot);
        for (InetAddress address : resolve(r, host)) {
            String reason = forbidden(r, host, address);
            if (reason != null) {
                // The reason names a kind of address and a setting, never the host or address itself.
                throw GatewayError.UPSTREAM_FORBIDDEN.exception("the upstream address is not allowed: " + reason);
            }
        }
    }

    private InetAddress[] resolve(Rules r, String host) {
        long now = millisClock.getAsLong();
        Resolved cached = r.cache().get(host);
        if (cached != null && cached.expiresAtMillis() > now) {
            return cached.addresses();
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            InetAddress[] addresses = InetAddress.getAllByName(bare);
            r.cache().put(host, new Resolved(addresses, now + RESOLVE_TTL_MILLIS));
            return addresses;
        } catch (UnknownHostException e) {
            return new InetAddress[0]; // the connect attempt fails on its own (502 upstream_unavailable)
        }
    }

    /** Why {@code address} may not be connected to, or null when it may. */
    static String forbidden(Rules r, String host, InetAddress address) {
        if (UpstreamAddresses.neverAllowed(address)) {
            return "link-local, metadata, unspecified or multicast address";
        }
        if (address.isLoopbackAddress()) {
            return r.enforceLoopback() ? "loopback address (settings.upstreamPolicy.allowLoopback is not true)" : null;
        }
        if (!r.allowedCidrs().isEmpty() && !hostListed(r.allowedHosts(), host) && !r.allowedCidrs().contains(address)) {
            return "address outside settings.upstreamPolicy.allowedCidrs";
        }
        return null;
    }

    static boolean hostListed(List<String> patterns, String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        for (String pattern : patterns) {
            String p = pattern.toLowerCase(java.util.Locale.ROOT);
            if (p.startsWith("*.") ? h.endsWith(p.substring(1)) : h.equals(p)) {
                return true;
            }
        }
        return false;
    }

}
