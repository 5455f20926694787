package io.gatehouse.dataplane.routing;

import io.gatehouse.proto.config.v1.HeaderMatch;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.util.Objects;

/**
 * One header condition of a route, with its header name resolved once per snapshot.
 *
 * @param name    the header (case-insensitive)
 * @param exact   the value one of the header's values must equal (case-sensitive); null for a
 *                presence condition
 * @param present for a presence condition: true = must be present, false = must be absent
 */
public record HeaderCondition(HeaderName name, String exact, boolean present) {

    public HeaderCondition {
        Objects.requireNonNull(name, "name");
    }

    static HeaderCondition fromConfig(HeaderMatch match) {
        if (match.getName().isEmpty()) {
            throw new IllegalArgumentException("header condition without a name");
        }
        HeaderName name = HeaderNames.create(match.getName());
        return switch (match.getConditionCase()) {
            case EXACT -> new HeaderCondition(name, match.getExact(), true);
            case PRESENT -> new HeaderCondition(name, null, match.getPresent());
            case CONDITION_NOT_SET ->
                    throw new IllegalArgumentException("header condition on '" + match.getName() + "' sets neither exact nor present");
        };
    }

    /** Whether the request headers satisfy this condition. Allocation-free for single-valued headers. */
    boolean test(Headers headers) {
        if (!headers.contains(name)) {
            return exact == null && !present;
        }
        if (exact == null) {
            return present;
        }
        Header header = headers.get(name);
        return header.valueCount() == 1 ? exact.equals(header.get()) : header.allValues().contains(exact);
    }

    String describe() {
        String lower = name.lowerCase();
        return exact != null ? lower + "=" + exact : (present ? "" : "!") + lower;
    }
}
