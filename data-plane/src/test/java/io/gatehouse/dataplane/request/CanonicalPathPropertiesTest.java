package io.gatehouse.dataplane.request;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Properties of {@link CanonicalPath} over generated paths built from the pieces path confusion is
 * made of (dot segments plain and encoded, empty segments, encoded separators, parameters, encoded
 * unreserved characters, invalid encodings): normalizing is idempotent, never leaves a dot segment,
 * and under the default rules never leaves "//", an encoded separator or a ';'; every encoding left
 * is upper-case and of a character that is not unreserved.
 */
class CanonicalPathPropertiesTest {

    private static final List<String> PIECES = List.of("a", "b", "api", "login", "admin", ".", "..", "", "%2e",
            "%2E%2e", ".%2e", "%2F", "%2f", "%5C", "%5c", "%41", "%7e", "~", "x;y=1", "%3B", "%25", "%00", "%zz",
            "%4", "a%20b", "-", "_", "...", ".well-known", "%c3%a9", "A%2fB", "..%2F..", "%u002e", "é", "\\", "a b");
    private static final Pattern ENCODING = Pattern.compile("%[0-9A-Fa-f]{2}");

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.of(PIECES).list().ofMinSize(0).ofMaxSize(8)
                .map(segments -> "/" + String.join("/", segments));
    }

    @Property(tries = 3000)
    void normalizingIsIdempotent(@ForAll("paths") String raw, @ForAll("rules") PathRules rules) {
        String canonical;
        try {
            canonical = CanonicalPath.normalize(raw, rules);
        } catch (BadRequestTargetException refused) {
            return;
        }
        try {
            assertThat(CanonicalPath.normalize(canonical, rules)).isEqualTo(canonical);
        } catch (BadRequestTargetException e) {
            throw new AssertionError("the canonical form " + canonical + " of " + raw + " is refused: " + e.getMessage());
        }
    }

    @Property(tries = 3000)
    void theCanonicalPathHasNoDotSegment(@ForAll("paths") String raw, @ForAll("rules") PathRules rules) {
        String canonical = normalizedOrNull(raw, rules);
        if (canonical == null) {
            return;
        }
        assertThat(canonical).startsWith("/");
        for (String segment : canonical.substring(1).split("/", -1)) {
            assertThat(segment).isNotIn(".", "..");
            for (String piece : segment.split("%2F|%5C", -1)) {
                assertThat(piece).as("a dot segment behind an encoded separator in " + canonical).isNotIn(".", "..");
            }
        }
        assertThat(canonical).doesNotContain(";");
        ENCODING.matcher(canonical).results().forEach(encoding -> {
            String hex = encoding.group().substring(1);
            assertThat(hex).isUpperCase();
            char c = (char) Integer.parseInt(hex, 16);
            assertThat(Character.isLetterOrDigit(c) && c < 128 || "-._~".indexOf(c) >= 0)
                    .as("unreserved %s left encoded in %s", encoding.group(), canonical).isFalse();
        });
    }

    @Property(tries = 3000)
    void theDefaultsLeaveNoDoubleSlashAndNoEncodedSeparator(@ForAll("paths") String raw) {
        String canonical = normalizedOrNull(raw, PathRules.DEFAULTS);
        if (canonical == null) {
            return;
        }
        assertThat(canonical).doesNotContain("//").doesNotContain("%2F").doesNotContain("%5C");
    }

    @Property(tries = 3000)
    void onlyARefusalBySettingCanBeLiftedByARoute(@ForAll("paths") String raw, @ForAll("rules") PathRules rules) {
        // Route lookup reads a path refused "by rule" once more with the lenient rules to find the route whose
        // own rules decide; a path refused for being malformed must stay refused whatever the rules.
        try {
            CanonicalPath.normalize(raw, rules);
        } catch (BadRequestTargetException refused) {
            if (!refused.byRule()) {
                assertThatThrownBy(() -> CanonicalPath.normalize(raw, CanonicalPath.LENIENT)).as(raw)
                        .isInstanceOf(BadRequestTargetException.class);
            }
        }
    }

    @Provide
    Arbitrary<PathRules> rules() {
        return Arbitraries.of(PathRules.Slashes.values()).flatMap(slashes -> Arbitraries.of(PathRules.Separators.values())
                .map(separators -> new PathRules(slashes, separators)));
    }

    private static String normalizedOrNull(String raw, PathRules rules) {
        try {
            return CanonicalPath.normalize(raw, rules);
        } catch (BadRequestTargetException refused) {
            return null;
        }
    }
}
