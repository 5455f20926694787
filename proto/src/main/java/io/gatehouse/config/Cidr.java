package io.gatehouse.config;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * One CIDR block, v4 or v6 ("10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128).
 * IPv4-mapped IPv6 addresses are matched as IPv4 (the JDK parses them to Inet4Address). Immutable.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** @throws IllegalArgumentException when {@code text} is not a CIDR block or IP literal */
    public static Cidr parse(String text) {
        String s = text == null ? "" : text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        InetAddress ip = IpLiterals.parse(address)
                .orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR: '" + text + "'"));
        byte[] bytes = ip.getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String len = s.substring(slash + 1);
            if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            prefix = Integer.parseInt(len);
            if (prefix > max) {
                throw new IllegalArgumentException("prefix length " + prefix + " > " + max + " in '" + text + "'");
            }
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    /** Whether {@code address} is in this block (never for an address of the other family). */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(bytes, prefixLength), network);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xFF << (8 - bits)));
        }
        return out;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
