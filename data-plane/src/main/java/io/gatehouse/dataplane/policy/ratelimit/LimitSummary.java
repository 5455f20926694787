package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.routing.CompiledRoute;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The rate limits a route would apply, as one comparable text ("100/1m per client_ip"): what shadow
 * evaluation compares between the config in force and a candidate. Reads the compiled specs only, so
 * asking never touches a counter (no token is consumed, nothing goes to Redis).
 */
public final class LimitSummary {

    /** The route has no rate limits. */
    public static final String NONE = "none";

    private LimitSummary() {
    }

    /** The route's limits in config order, "; "-separated, or {@link #NONE}. */
    public static String of(CompiledRoute route) {
        RouteLimits limits = route.parts().get(RateLimitCompiler.ROUTE);
        List<String> parts = new ArrayList<>();
        Stream.concat(limits.beforeAuth().stream(), limits.afterAuth().stream()).forEach(spec -> parts.add(describe(spec)));
        return parts.isEmpty() ? NONE : String.join("; ", parts);
    }

    private static String describe(LimitSpec spec) {
        StringBuilder text = new StringBuilder().append(spec.limit()).append('/').append(period(spec.periodMillis()))
                .append(" per ").append(spec.key().name().toLowerCase(Locale.ROOT));
        if (!spec.keyArgument().isEmpty()) {
            text.append(' ').append(spec.keyArgument());
        }
        if (spec.algorithm() == LimitSpec.Algorithm.TOKEN_BUCKET && spec.burst() != spec.limit()) {
            text.append(" burst ").append(spec.burst());
        }
        if (!spec.plans().isEmpty()) {
            text.append(" plans ").append(String.join(",", new java.util.TreeSet<>(spec.plans())));
        }
        return text.toString();
    }

    /** "1m", "30s", "1h", else milliseconds ("1500ms"). */
    private static String period(long millis) {
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1_000 == 0 ? millis / 1_000 + "s" : millis + "ms";
    }
}
