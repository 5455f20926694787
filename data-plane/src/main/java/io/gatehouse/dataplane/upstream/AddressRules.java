package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.config.CidrSet;
import io.gatehouse.config.UpstreamAddresses;
import io.gatehouse.proto.config.v1.UpstreamPolicy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Which addresses the data plane may connect to for an upstream, checked on resolved addresses right
 * before connecting (SSRF, DNS rebinding): the control plane validated target host names at apply, but
 * a name can resolve to something else later. Proxied requests ({@code policy.access.UpstreamAddressPolicy})
 * and active health checks ({@link HealthChecker}) obey the same rules.
 *
 * <p>Always forbidden: link-local (169.254.0.0/16, fe80::/10, incl. the cloud metadata address),
 * fd00:ec2::254, 0.0.0.0/8 / unspecified, multicast. Loopback (127.0.0.0/8, ::1) is forbidden unless
 * {@code settings.upstream_policy.allow_loopback} is true, also when there is no upstream policy: the
 * control plane rejects loopback literals and "localhost", but any other name may resolve to loopback
 * (an /etc/hosts entry, a rebinding DNS server). With an upstream policy whose {@code allowed_cidrs} is
 * non-empty, resolved addresses must be in one of them (host names listed in {@code allowed_hosts} are
 * exempt from the CIDR rule).
 *
 * <p>Resolutions are cached for {@link #RESOLVE_TTL_MILLIS}, per snapshot (a new snapshot starts with
 * an empty cache). The client that connects resolves the name again, through the JVM's own address
 * cache (30 s by default), so a rebinding DNS server cannot answer the two lookups differently within
 * that time. Thread-safe.
 */
public final class AddressRules {

    /** The snapshot's upstream address rules, among its gateway-wide parts. */
    public static final Parts.Key<AddressRules> PART = Parts.Key.of("upstream.addresses", null);


    static final long RESOLVE_TTL_MILLIS = 5_000;

    private record Resolved(InetAddress[] addresses, long expiresAtMillis) {
    }

    private final boolean enforceLoopback;
    private final CidrSet allowedCidrs;
    private final List<String> allowedHosts;
    private final LongSupplier millisClock;
    private final Map<String, Resolved> cache = new ConcurrentHashMap<>();

    AddressRules(boolean enforceLoopback, CidrSet allowedCidrs, List<String> allowedHosts, LongSupplier millisClock) {
        this.enforceLoopback = enforceLoopback;
        this.allowedCidrs = allowedCidrs;
        this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.millisClock = millisClock;
    }

    /**
     * @param policy the config's upstream policy (the default instance when absent: loopback refused)
     * @throws IllegalArgumentException naming an allowed CIDR that does not parse
     */
    public static AddressRules fromConfig(UpstreamPolicy policy, LongSupplier millisClock) {
        CidrSet cidrs;
        try {
            cidrs = CidrSet.parse(policy.getAllowedCidrsList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("upstreamPolicy.allowedCidrs: " + e.getMessage(), e);
        }
        return new AddressRules(!policy.getAllowLoopback(), cidrs, policy.getAllowedHostsList(), millisClock);
    }

    public static AddressRules fromConfig(UpstreamPolicy policy) {
        return fromConfig(policy, System::currentTimeMillis);
    }

    /**
     * Why {@code host} may not be connected to (a kind of address and a setting, never the host or
     * the address itself, so it can be shown to clients), or empty when every address it resolves to
     * is allowed. A name that does not resolve is allowed here: connecting fails on its own.
     */
    public Optional<String> check(String host) {
        for (InetAddress address : resolve(host)) {
            String reason = forbidden(host, address);
            if (reason != null) {
                return Optional.of(reason);
            }
        }
        return Optional.empty();
    }

    private InetAddress[] resolve(String host) {
        long now = millisClock.getAsLong();
        Resolved cached = cache.get(host);
        if (cached != null && cached.expiresAtMillis() > now) {
            return cached.addresses();
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            InetAddress[] addresses = InetAddress.getAllByName(bare);
            cache.put(host, new Resolved(addresses, now + RESOLVE_TTL_MILLIS));
            return addresses;
        } catch (UnknownHostException e) {
            return new InetAddress[0];
        }
    }

    /** Why {@code address} (one resolution of {@code host}) may not be connected to, or null when it may. */
    String forbidden(String host, InetAddress address) {
        if (UpstreamAddresses.neverAllowed(address)) {
            return "link-local, metadata, unspecified or multicast address";
        }
        if (UpstreamAddresses.isLoopback(address)) {
            return enforceLoopback ? "loopback address (settings.upstreamPolicy.allowLoopback is not true)" : null;
        }
        if (!allowedCidrs.isEmpty() && !hostListed(host) && !allowedCidrs.contains(address)) {
            return "address outside settings.upstreamPolicy.allowedCidrs";
        }
        return null;
    }

    private boolean hostListed(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String pattern : allowedHosts) {
            if (pattern.startsWith("*.") ? h.endsWith(pattern.substring(1)) : h.equals(pattern)) {
                return true;
            }
        }
        return false;
    }
}
