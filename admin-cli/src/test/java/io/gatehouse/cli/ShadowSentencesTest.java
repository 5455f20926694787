package io.gatehouse.cli;

import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Shadow differences as the sentences {@code rollout status} prints: exact shares, readable subjects, escaped text. */
class ShadowSentencesTest {

    private static final Map<String, String> PATHS = Map.of("orders", "/orders", "admin", "/admin");

    @Test
    void sharesAreTheDifferencesOverTheRequestsSampledOnThatRoute() {
        RouteShadow orders = RouteShadow.newBuilder().setRouteId("orders").setSampled(1000).setRouteChanged(31)
                .addChanges(change("route", "orders", "orders-v2", 31)).build();
        RouteShadow admin = RouteShadow.newBuilder().setRouteId("admin").setSampled(500).setAuthChanged(2)
                .addChanges(change("auth", "allow", "403", 2)).build();
        RouteShadow quiet = RouteShadow.newBuilder().setRouteId("quiet").setSampled(70).build();

        List<String> sentences = ShadowSentences.of(List.of(orders, admin, quiet), PATHS, List.of());

        assertThat(sentences).containsExactly(
                "3.1% of /orders requests would route to orders-v2",
                "0.4% of /admin requests would now get 403");
        assertThat(ShadowSentences.sampled(List.of(orders, admin, quiet))).isEqualTo(1570);
    }

    @Test
    void aCounterWithoutDetailStillGetsASentenceAndUnknownRoutesAreNamedById() {
        RouteShadow users = RouteShadow.newBuilder().setRouteId("users").setSampled(200).setLimitChanged(3)
                .setUpstreamChanged(200).addChanges(change("upstream", "users-v1", "users-v2", 200)).build();
        RouteShadow unmatched = RouteShadow.newBuilder().setRouteId("").setSampled(10).setRouteChanged(10)
                .addChanges(change("route", "", "fallback", 10)).build();

        assertThat(ShadowSentences.of(List.of(users, unmatched), PATHS, List.of())).containsExactly(
                "100.0% of requests on route users would go to upstream users-v2 instead of users-v1",
                "1.5% of requests on route users would get a different rate-limit outcome",
                "100.0% of requests that matched no route would route to fallback");
    }

    @Test
    void differencesOnRoutesTheOperatorDidNotExpectAreMarked() {
        RouteShadow orders = RouteShadow.newBuilder().setRouteId("orders").setSampled(100).setRouteChanged(5)
                .addChanges(change("route", "orders", "orders-v2", 5)).build();
        RouteShadow admin = RouteShadow.newBuilder().setRouteId("admin").setSampled(100).setAuthChanged(1)
                .addChanges(change("auth", "allow", "401", 1)).build();

        assertThat(ShadowSentences.of(List.of(orders, admin), PATHS, List.of("orders"))).containsExactly(
                "5.0% of /orders requests would route to orders-v2",
                "1.0% of /admin requests would now get 401 (not expected)");
    }

    @Test
    void aTinyShareIsNotShownAsZero() {
        assertThat(ShadowSentences.share(1, 100_000)).isEqualTo("<0.1%");
        assertThat(ShadowSentences.share(0, 100_000)).isEqualTo("0.0%");
        assertThat(ShadowSentences.share(1, 3)).isEqualTo("33.3%");
    }

    @Test
    void textFromDataPlanesCannotReachTheTerminalAsControlCharacters() {
        RouteShadow hostile = RouteShadow.newBuilder().setRouteId("x\u001b]0;owned\u0007").setSampled(10)
                .setRouteChanged(1).addChanges(change("route", "x", "\u001b[2Jv2\r\nFAKE LINE", 1)).build();

        List<String> sentences = ShadowSentences.of(List.of(hostile), Map.of(), List.of());

        assertThat(sentences).hasSize(1);
        assertThat(sentences.get(0)).doesNotContain("\u001b", "\u0007", "\r", "\n")
                .contains("route x\\u{1b}]0;owned\\u{7}", "\\u{1b}[2Jv2\\r\\nFAKE LINE");
    }

    private static DecisionChange change(String kind, String from, String to, long count) {
        return DecisionChange.newBuilder().setKind(kind).setFrom(from).setTo(to).setCount(count).build();
    }
}
