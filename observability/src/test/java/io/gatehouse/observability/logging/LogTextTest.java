package io.gatehouse.observability.logging;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogTextTest {

    @Test
    void aForgedLogLineStaysOnTheLineItCameIn() {
        String detail = "bad key\nINFO: apply by admin: version 9 active\r\n";
        assertThat(LogText.escaped(detail)).isEqualTo("bad key\\nINFO: apply by admin: version 9 active\\r\\n")
                .doesNotContain("\n").doesNotContain("\r");
    }

    @Test
    void charactersThatHideOrReorderTextAreShown() {
        assertThat(LogText.escaped("a\u202eb\u2066c\u2028d\u0085e\u0000f\u001bg"))
                .isEqualTo("a\\u{202e}b\\u{2066}c\\u{2028}d\\u{85}e\\u{0}f\\u{1b}g");
    }

    @Test
    void theEscapingIsUnambiguous() {
        // a literal backslash-n is not a line break: it reads back differently
        assertThat(LogText.escaped("\\n")).isEqualTo("\\\\n");
        assertThat(LogText.escaped("\n")).isEqualTo("\\n");
    }

    @Test
    void pairedSurrogatesPassUnpairedOnesAreShown() {
        assertThat(LogText.escaped("emoji \uD83D\uDE00 ok")).isEqualTo("emoji \uD83D\uDE00 ok");
        assertThat(LogText.escaped("x\uD83Dy\uDE00")).isEqualTo("x\\u{d83d}y\\u{de00}");
    }

    @Test
    void plainTextIsReturnedAsItIs() {
        String plain = "routes[3].upstream: unknown upstream 'payments' (ü, 日本)";
        assertThat(LogText.escaped(plain)).isSameAs(plain);
        assertThat(LogText.bounded(plain, 1000)).isSameAs(plain);
        assertThat(LogText.escaped(null)).isNull();
    }

    @Test
    void boundedSaysWhatWasCutAndNeverSplitsAPair() {
        assertThat(LogText.bounded("abcdef", 3)).isEqualTo("abc…(3 more characters)");
        assertThat(LogText.bounded("ab\uD83D\uDE00", 3)).isEqualTo("ab…(2 more characters)");
    }

    @Property
    void escapedOutputIsOneLineOfPrintableText(@ForAll String text) {
        String escaped = LogText.escaped(text);
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            assertThat(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && c != '\u2028' && c != '\u2029')
                    .as("char %x at %d of %s", (int) c, i, escaped).isTrue();
        }
    }

    @Property
    void boundedNeverExceedsItsBudgetPlusTheNote(@ForAll String text) {
        String bounded = LogText.bounded(text, 10);
        assertThat(bounded.length()).isLessThanOrEqualTo(10 + "…(2147483647 more characters)".length());
        assertThat(text).startsWith(bounded.contains("…(") ? bounded.substring(0, bounded.indexOf("…(")) : bounded);
    }
}
