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

    /**
     * The IPv4 address a host name in one of the legacy numeric forms stands for, as the C library's
     * {@code inet_aton} (and so {@code getaddrinfo}, and so the data plane's own resolver) reads it:
     * one to four dot-separated parts, each decimal, octal ({@code 0177}) or hex ({@code 0x7f}), the last
     * part filling the remaining bytes ({@code 2130706433}, {@code 0x7f000001}, {@code 127.1},
     * {@code 0} all name loopback or the unspecified address). A trailing dot is ignored. Empty when
     * {@code host} is not such a form (a real host name, or a canonical literal {@link #parse} reads).
     * The control plane applies its address rules to what this returns, so no spelling of a forbidden
     * address passes as a host name.
     */
    public static Optional<InetAddress> parseNumericHost(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.empty();
        }
        String s = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String[] parts = s.split("\\.", -1);
        if (parts.length > 4) {
            return Optional.empty();
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            long value = numericPart(parts[i]);
            if (value < 0) {
                return Optional.empty();
            }
            values[i] = value;
        }
        long address = 0;
        for (int i = 0; i < parts.length - 1; i++) {
            if (values[i] > 0xff) {
                return Optional.empty();
            }
            address |= values[i] << (24 - 8 * i);
        }
        long last = values[parts.length - 1];
        if (last >= 1L << (8 * (5 - parts.length))) { // 4 parts: 8 bits, 3: 16, 2: 24, 1: 32
            return Optional.empty();
        }
        address |= last;
        byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** One part of an inet_aton address, or -1 when it is not numeric (or absurdly long). */
    private static long numericPart(String part) {
        if (part.isEmpty() || part.length() > 12) {
            return -1;
        }
        int radix = 10;
        String digits = part;
        if (part.length() > 2 && (part.startsWith("0x") || part.startsWith("0X"))) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() > 1 && part.charAt(0) == '0') {
            radix = 8;
            digits = part.substring(1);
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = Character.digit(digits.charAt(i), radix);
            if (digit < 0) {
                return -1;
            }
            value = value * radix + digit;
        }
        return value;
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
