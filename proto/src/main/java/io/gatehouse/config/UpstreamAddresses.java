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

    /** Whether {@code address} may never be an upstream, whatever the upstream policy says. */
    public static boolean neverAllowed(InetAddress address) {
        return NEVER_ALLOWED.contains(address) || address.isLinkLocalAddress() || address.isMulticastAddress()
                || address.isAnyLocalAddress();
    }
}
