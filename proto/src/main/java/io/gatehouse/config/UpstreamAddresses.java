package io.gatehouse.config;

import java.net.InetAddress;
import java.util.List;

/**
 * The upstream addresses no config may allow (the SSRF floor under {@code settings.upstreamPolicy}):
 * link-local (169.254.0.0/16, fe80::/10) including the cloud metadata endpoints (169.254.169.254,
 * fd00:ec2::254), unspecified (0.0.0.0/8, ::) and multicast. The control plane applies it to
 * IP-literal targets at apply, the data plane to resolved addresses at connect time. Stateless.
 */
public final class UpstreamAddresses {

    private static final CidrSet NEVER_ALLOWED = CidrSet.parse(List.of(
            "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8", "224.0.0.0/4", "ff00::/8", "::/128"));

    private UpstreamAddresses() {
    }

    /**
     * Whether {@code address} may never be an upstream, whatever the upstream policy says. IPv6
     * addresses that carry an IPv4 address the network may route to (IPv4-compatible {@code ::a.b.c.d},
     * NAT64 {@code 64:ff9b::a.b.c.d}) are judged by that IPv4 address too; IPv4-mapped ones
     * ({@code ::ffff:a.b.c.d}) are IPv4 addresses to the JDK already.
     */
    public static boolean neverAllowed(InetAddress address) {
        if (NEVER_ALLOWED.contains(address) || address.isLinkLocalAddress() || address.isMulticastAddress()
                || address.isAnyLocalAddress()) {
            return true;
        }
        InetAddress embedded = embeddedIpv4(address);
        return embedded != null && neverAllowed(embedded);
    }

    /** Whether {@code address} is loopback, also as the IPv4 address an IPv6 address embeds. */
    public static boolean isLoopback(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        InetAddress embedded = embeddedIpv4(address);
        return embedded != null && embedded.isLoopbackAddress();
    }

    /** The IPv4 address in the last 32 bits of an IPv4-compatible or NAT64 IPv6 address, else null. */
    static InetAddress embeddedIpv4(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != 16) {
            return null;
        }
        boolean compatible = true;
        for (int i = 0; i < 12; i++) {
            compatible &= b[i] == 0;
        }
        boolean nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (!compatible && !nat64) {
            return null;
        }
        if (compatible && b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)) {
            return null; // "::" and "::1" are themselves, judged above
        }
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }
}
