package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteTableTest {

    private static final UpstreamCluster UPSTREAM = new UpstreamCluster("u",
            List.of(new UpstreamTarget("http", "127.0.0.1", 8080, 1, "")));
    private static final RouteTimeouts TIMEOUTS = new RouteTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));

    private static RouteTable table(String... prefixes) {
        List<CompiledRoute> routes = new ArrayList<>();
        for (String prefix : prefixes) {
            routes.add(new CompiledRoute("route" + prefix.replace('/', '_'), prefix, UPSTREAM, TIMEOUTS));
        }
        return RouteTable.of(routes);
    }

    private static Optional<CompiledRoute> match(RouteTable table, String path) {
        return table.match(null, Method.GET, path, WritableHeaders.create());
    }

    private static Optional<String> matchedPrefix(RouteTable table, String path) {
        return match(table, path).map(CompiledRoute::pathPrefix);
    }

    @Test
    void prefixMatchesItselfItsTrailingSlashAndDeeperPaths() {
        RouteTable table = table("/api");

        assertThat(matchedPrefix(table, "/api")).hasValue("/api");
        assertThat(matchedPrefix(table, "/api/")).hasValue("/api");
        assertThat(matchedPrefix(table, "/api/x")).hasValue("/api");
        assertThat(matchedPrefix(table, "/api/x/y/z")).hasValue("/api");
    }

    @Test
    void prefixDoesNotMatchInsideASegment() {
        RouteTable table = table("/api");

        assertThat(match(table, "/apix")).isEmpty();
        assertThat(match(table, "/ap")).isEmpty();
        assertThat(match(table, "/")).isEmpty();
        assertThat(match(table, "/other/api")).isEmpty();
    }

    @Test
    void longestMatchingPrefixWins() {
        RouteTable table = table("/", "/api", "/api/v1", "/api/v1/admin");

        assertThat(matchedPrefix(table, "/api/v1/admin/users")).hasValue("/api/v1/admin");
        assertThat(matchedPrefix(table, "/api/v1/adminx")).hasValue("/api/v1");
        assertThat(matchedPrefix(table, "/api/v2")).hasValue("/api");
        assertThat(matchedPrefix(table, "/apiv1")).hasValue("/");
        assertThat(matchedPrefix(table, "/")).hasValue("/");
    }

    @Test
    void rootPrefixMatchesEverything() {
        RouteTable table = table("/");

        assertThat(matchedPrefix(table, "/anything/at/all")).hasValue("/");
    }

    @Test
    void trailingSlashInTheConfiguredPrefixIsIgnored() {
        RouteTable table = table("/api/");

        assertThat(matchedPrefix(table, "/api")).hasValue("/api");
        assertThat(matchedPrefix(table, "/api/x")).hasValue("/api");
        assertThat(match(table, "/apix")).isEmpty();
    }

    @Test
    void noMatchIsEmptyIncludingOnAnEmptyTable() {
        assertThat(match(table("/a", "/b"), "/c")).isEmpty();
        assertThat(match(RouteTable.empty(), "/a")).isEmpty();
        assertThat(match(table("/a"), "")).isEmpty();
    }

    @Test
    void twoRoutesWithTheSamePrefixAreRejected() {
        assertThatThrownBy(() -> table("/api", "/api/"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same path prefix /api");
    }

    @Test
    void lookupCostDoesNotDependOnTheNumberOfRoutes() {
        List<String> prefixes = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            prefixes.add("/svc" + i);
        }
        RouteTable table = table(prefixes.toArray(String[]::new));

        assertThat(table.size()).isEqualTo(50_000);
        assertThat(matchedPrefix(table, "/svc49999/orders/1")).hasValue("/svc49999");
        assertThat(match(table, "/svc50000")).isEmpty();
    }
}
