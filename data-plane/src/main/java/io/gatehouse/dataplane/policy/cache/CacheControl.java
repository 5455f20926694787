package io.gatehouse.dataplane.policy.cache;

import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/** The parts of an upstream's {@code Cache-Control} that decide whether and how long a shared cache stores. */
record CacheControl(boolean noStore, boolean isPrivate, boolean noCache, OptionalLong maxAgeSeconds) {

    static CacheControl parse(List<String> values) {
        boolean noStore = false;
        boolean isPrivate = false;
        boolean noCache = false;
        long maxAge = -1;
        long sMaxAge = -1;
        for (String value : values) {
            for (String directive : value.split(",")) {
                String d = directive.strip().toLowerCase(Locale.ROOT);
                if (d.equals("no-store")) {
                    noStore = true;
                } else if (d.equals("private") || d.startsWith("private=")) {
                    isPrivate = true;
                } else if (d.equals("no-cache") || d.startsWith("no-cache=")) {
                    noCache = true;
                } else if (d.startsWith("max-age=")) {
                    maxAge = seconds(d.substring(8));
                } else if (d.startsWith("s-maxage=")) {
                    sMaxAge = seconds(d.substring(9));
                }
            }
        }
        long age = sMaxAge >= 0 ? sMaxAge : maxAge; // RFC 9111 §5.2.2.10: s-maxage wins in shared caches
        return new CacheControl(noStore, isPrivate, noCache, age >= 0 ? OptionalLong.of(age) : OptionalLong.empty());
    }

    private static long seconds(String text) {
        String s = text.replace("\"", "").strip();
        try {
            return Math.max(0, Long.parseLong(s));
        } catch (NumberFormatException e) {
            return 0; // an invalid max-age means stale (RFC 9111 §4.2.1)
        }
    }
}
