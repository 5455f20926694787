package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.CidrSet;

import java.net.InetAddress;

/**
 * One level's IP allow and deny lists, compiled. Immutable.
 *
 * @param allow non-empty: only these blocks are admitted
 * @param deny  never admitted (deny wins over allow)
 */
record IpRules(CidrSet allow, CidrSet deny) {

    static final IpRules NONE = new IpRules(CidrSet.EMPTY, CidrSet.EMPTY);

    boolean admits(InetAddress address) {
        if (deny.contains(address)) {
            return false;
        }
        return allow.isEmpty() || allow.contains(address);
    }
}
