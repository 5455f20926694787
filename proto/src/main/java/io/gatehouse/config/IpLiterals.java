package io.gatehouse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Parses IP address literals without ever touching DNS; the one grammar for every address and CIDR
 * the control plane validates and the data plane matches (access lists, trusted proxies, forwarded
 * hops, upstream targets).
 *
 * <p>IPv4: exactly four decimal parts 0..255 without leading zeros ("010.0.0.1" is not an address:
 * some parsers read a leading zero as octal, so the same text could name two addresses). IPv6: hex
 * digits, colons and an embedded dotted quad, optionally in brackets and with a zone id ({@code %eth0}).
 */
public final class IpLiterals {

    private IpLiterals() {
    }

    /** The address {@code text} spells, or empty when it is not an IP literal (e.g. a host name). */
    public static Optional<InetAddress> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.isEmpty() || !(isV4(s) || isV6(s))) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(s)); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static boolean isV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || (part.length() > 1 && part.charAt(0) == '0') || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    private static boolean isV6(String s) {
        if (s.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
