package io.gatehouse.dataplane.request;

import io.gatehouse.proto.config.v1.PathNormalization;

import java.util.Objects;

/**
 * How {@link CanonicalPath} treats the two path forms whose meaning is a matter of choice: duplicate
 * slashes and encoded separators ({@code %2F}, {@code %5C}). Dot segments, percent-encoded unreserved
 * characters and hex case are always normalized (RFC 3986 §6.2.2), and {@code ;} path parameters are
 * always refused; those have one safe reading whatever the upstream. Immutable.
 *
 * @param slashes    what "//" means
 * @param separators what %2F / %5C mean
 */
public record PathRules(Slashes slashes, Separators separators) {

    public enum Slashes { MERGE, REJECT, KEEP }

    public enum Separators { REJECT, KEEP }

    /** The built-in gateway defaults: merge "//", refuse encoded separators. */
    public static final PathRules DEFAULTS = new PathRules(Slashes.MERGE, Separators.REJECT);

    public PathRules {
        Objects.requireNonNull(slashes, "slashes");
        Objects.requireNonNull(separators, "separators");
    }

    /**
     * {@code config} applied over {@code base}: each field left at its DEFAULT value keeps the base's.
     * The gateway level resolves over {@link #DEFAULTS}, a route over the gateway's rules.
     *
     * @throws IllegalArgumentException for an enum value this data plane does not know
     */
    public static PathRules resolve(PathNormalization config, PathRules base) {
        Slashes slashes = switch (config.getDuplicateSlashes()) {
            case DUPLICATE_SLASHES_DEFAULT -> base.slashes();
            case MERGE_SLASHES -> Slashes.MERGE;
            case REJECT_DUPLICATE_SLASHES -> Slashes.REJECT;
            case KEEP_DUPLICATE_SLASHES -> Slashes.KEEP;
            case UNRECOGNIZED -> throw unknown("duplicateSlashes", config.getDuplicateSlashesValue());
        };
        Separators separators = switch (config.getEncodedSeparators()) {
            case ENCODED_SEPARATORS_DEFAULT -> base.separators();
            case REJECT_ENCODED_SEPARATORS -> Separators.REJECT;
            case KEEP_ENCODED_SEPARATORS -> Separators.KEEP;
            case UNRECOGNIZED -> throw unknown("encodedSeparators", config.getEncodedSeparatorsValue());
        };
        PathRules rules = new PathRules(slashes, separators);
        return rules.equals(base) ? base : rules;
    }

    private static IllegalArgumentException unknown(String field, int value) {
        return new IllegalArgumentException("pathNormalization." + field + ": unknown value " + value);
    }
}
