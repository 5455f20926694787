package io.gatehouse.dataplane.routing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each matcher and each priority rule, on compiled tables. */
class RouteMatchingTest {

    private static final UpstreamCluster UPSTREAM = new UpstreamCluster("u",
            List.of(new UpstreamTarget("http", "127.0.0.1", 8080, 1, "")));
    private static final RouteTimeouts TIMEOUTS = new RouteTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));

    /** Routes "id=json-of-RouteMatch", in declared order. */
    private static RouteTable table(String... routes) {
        List<CompiledRoute> compiled = new ArrayList<>();
        for (String route : routes) {
            int eq = route.indexOf('=');
            compiled.add(new CompiledRoute(route.substring(0, eq), spec(route.substring(eq + 1)), UPSTREAM, TIMEOUTS));
        }
        return RouteTable.of(compiled);
    }

    static RouteMatchSpec spec(String json) {
        RouteMatch.Builder match = RouteMatch.newBuilder();
        try {
            JsonFormat.parser().merge(json, match);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        return RouteMatchSpec.fromConfig(match.build());
    }

    /** The id of the route matching, or "none". */
    private static String route(RouteTable table, String host, Method method, String path, String... headers) {
        WritableHeaders<?> h = WritableHeaders.create();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(HeaderValues.create(HeaderNames.create(headers[i]), headers[i + 1]));
        }
        return table.match(host, method, path, h).map(CompiledRoute::id).orElse("none");
    }

    private static String get(RouteTable table, String path) {
        return route(table, null, Method.GET, path);
    }

    // ---- path matchers

    @Test
    void exactPathMatchesOnlyThatPath() {
        RouteTable table = table("""
                health={"pathExact": "/health"}""", """
                slash={"pathExact": "/dir/"}""", """
                root={"pathExact": "/"}""");

        assertThat(get(table, "/health")).isEqualTo("health");
        assertThat(get(table, "/health/")).isEqualTo("none");
        assertThat(get(table, "/health/x")).isEqualTo("none");
        assertThat(get(table, "/healthz")).isEqualTo("none");
        assertThat(get(table, "/dir/")).isEqualTo("slash");
        assertThat(get(table, "/dir")).isEqualTo("none");
        assertThat(get(table, "/")).isEqualTo("root");
        assertThat(get(table, "//")).isEqualTo("none");
    }

    @Test
    void templateVariableMatchesExactlyOneNonEmptySegment() {
        RouteTable table = table("""
                user={"pathTemplate": "/users/{id}"}""", """
                orders={"pathTemplate": "/users/{id}/orders/{order}"}""");

        assertThat(get(table, "/users/42")).isEqualTo("user");
        assertThat(get(table, "/users/a%2Fb")).isEqualTo("user");
        assertThat(get(table, "/users/42/orders/7")).isEqualTo("orders");
        assertThat(get(table, "/users")).isEqualTo("none");
        assertThat(get(table, "/users/")).isEqualTo("none");
        assertThat(get(table, "/users//orders/7")).isEqualTo("none");
        assertThat(get(table, "/users/42/")).isEqualTo("none");
        assertThat(get(table, "/users/42/orders")).isEqualTo("none");
        assertThat(get(table, "/users/42/orders/7/items")).isEqualTo("none");
    }

    @Test
    void lookupBacktracksFromALiteralDeadEndToTheVariableBranch() {
        RouteTable table = table("""
                literal={"pathExact": "/a/b/d"}""", """
                template={"pathTemplate": "/a/{x}/c"}""");

        assertThat(get(table, "/a/b/c")).isEqualTo("template");
        assertThat(get(table, "/a/b/d")).isEqualTo("literal");
        assertThat(get(table, "/a/z/d")).isEqualTo("none");
    }

    // ---- hosts, methods, headers

    @Test
    void exactHostIsCaseInsensitiveAndIgnoresThePort() {
        RouteTable table = table("""
                api={"pathPrefix": "/", "hosts": ["API.example.com"]}""");

        assertThat(route(table, "api.example.com", Method.GET, "/x")).isEqualTo("api");
        assertThat(route(table, "Api.Example.COM:8443", Method.GET, "/x")).isEqualTo("api");
        assertThat(route(table, "www.example.com", Method.GET, "/x")).isEqualTo("none");
        assertThat(route(table, "api.example.com.evil", Method.GET, "/x")).isEqualTo("none");
        assertThat(route(table, null, Method.GET, "/x")).isEqualTo("none");
        assertThat(route(table, "", Method.GET, "/x")).isEqualTo("none");
    }

    @Test
    void wildcardHostMatchesExactlyOneMoreLabel() {
        RouteTable table = table("""
                wild={"pathPrefix": "/", "hosts": ["*.example.com"]}""");

        assertThat(route(table, "a.example.com", Method.GET, "/")).isEqualTo("wild");
        assertThat(route(table, "B.EXAMPLE.com:80", Method.GET, "/")).isEqualTo("wild");
        assertThat(route(table, "example.com", Method.GET, "/")).isEqualTo("none");
        assertThat(route(table, "a.b.example.com", Method.GET, "/")).isEqualTo("none");
        assertThat(route(table, ".example.com", Method.GET, "/")).isEqualTo("none");
        assertThat(route(table, "a.example.org", Method.GET, "/")).isEqualTo("none");
    }

    @Test
    void aRouteWithSeveralHostsMatchesEachOfThem() {
        RouteTable table = table("""
                multi={"pathPrefix": "/", "hosts": ["a.test", "*.b.test"]}""");

        assertThat(route(table, "a.test", Method.GET, "/")).isEqualTo("multi");
        assertThat(route(table, "x.b.test", Method.GET, "/")).isEqualTo("multi");
        assertThat(route(table, "b.test", Method.GET, "/")).isEqualTo("none");
    }

    @Test
    void methodsRestrictTheRoute() {
        RouteTable table = table("""
                read={"pathPrefix": "/r", "methods": ["GET", "HEAD"]}""", """
                any={"pathPrefix": "/a"}""");

        assertThat(route(table, null, Method.GET, "/r")).isEqualTo("read");
        assertThat(route(table, null, Method.HEAD, "/r")).isEqualTo("read");
        assertThat(route(table, null, Method.POST, "/r")).isEqualTo("none");
        assertThat(route(table, null, Method.TRACE, "/r")).isEqualTo("none");
        assertThat(route(table, null, Method.create("PURGE"), "/r")).isEqualTo("none");
        assertThat(route(table, null, Method.TRACE, "/a")).isEqualTo("any");
        assertThat(route(table, null, Method.create("PURGE"), "/a")).isEqualTo("any");
    }

    @Test
    void headerEqualityPresenceAndAbsence() {
        RouteTable table = table("""
                eq={"pathExact": "/eq", "headers": [{"name": "X-Tenant", "exact": "acme"}]}""", """
                present={"pathExact": "/present", "headers": [{"name": "x-debug", "present": true}]}""", """
                absent={"pathExact": "/absent", "headers": [{"name": "x-debug", "present": false}]}""");

        assertThat(route(table, null, Method.GET, "/eq", "x-tenant", "acme")).isEqualTo("eq");
        assertThat(route(table, null, Method.GET, "/eq", "X-TENANT", "acme")).isEqualTo("eq");
        assertThat(route(table, null, Method.GET, "/eq", "x-tenant", "other", "x-tenant", "acme")).isEqualTo("eq");
        assertThat(route(table, null, Method.GET, "/eq", "x-tenant", "ACME")).isEqualTo("none");
        assertThat(route(table, null, Method.GET, "/eq")).isEqualTo("none");
        assertThat(route(table, null, Method.GET, "/present", "x-debug", "")).isEqualTo("present");
        assertThat(route(table, null, Method.GET, "/present")).isEqualTo("none");
        assertThat(route(table, null, Method.GET, "/absent")).isEqualTo("absent");
        assertThat(route(table, null, Method.GET, "/absent", "x-debug", "1")).isEqualTo("none");
    }

    // ---- priority

    @Test
    void exactPathBeatsTemplateBeatsPrefixWhateverTheDeclaredOrder() {
        RouteTable table = table("""
                prefix={"pathPrefix": "/users/me"}""", """
                template={"pathTemplate": "/users/{id}"}""", """
                exact={"pathExact": "/users/me"}""");

        assertThat(get(table, "/users/me")).isEqualTo("exact");
        assertThat(get(table, "/users/42")).isEqualTo("template");
        assertThat(get(table, "/users/me/x")).isEqualTo("prefix");
    }

    @Test
    void templateWithMoreLiteralSegmentsWins() {
        RouteTable table = table("""
                two={"pathTemplate": "/{a}/{b}/orders"}""", """
                one={"pathTemplate": "/{a}/{b}/{c}"}""", """
                three={"pathTemplate": "/users/{id}/orders"}""");

        assertThat(get(table, "/users/1/orders")).isEqualTo("three");
        assertThat(get(table, "/people/1/orders")).isEqualTo("two");
        assertThat(get(table, "/people/1/x")).isEqualTo("one");
    }

    @Test
    void templateBeatsEvenALongerPrefix() {
        RouteTable table = table("""
                prefix={"pathPrefix": "/api/v1"}""", """
                template={"pathTemplate": "/api/{version}"}""");

        assertThat(get(table, "/api/v1")).isEqualTo("template");
        assertThat(get(table, "/api/v1/x")).isEqualTo("prefix");
    }

    @Test
    void longerPrefixWins() {
        RouteTable table = table("""
                root={"pathPrefix": "/"}""", """
                api={"pathPrefix": "/api"}""", """
                v1={"pathPrefix": "/api/v1/"}""");

        assertThat(get(table, "/api/v1/users")).isEqualTo("v1");
        assertThat(get(table, "/api/v2")).isEqualTo("api");
        assertThat(get(table, "/other")).isEqualTo("root");
    }

    @Test
    void exactHostBeatsWildcardBeatsAnyHostOnTheSamePath() {
        RouteTable table = table("""
                any={"pathPrefix": "/"}""", """
                wild={"pathPrefix": "/", "hosts": ["*.example.com"]}""", """
                exact={"pathPrefix": "/", "hosts": ["api.example.com"]}""");

        assertThat(route(table, "api.example.com", Method.GET, "/")).isEqualTo("exact");
        assertThat(route(table, "www.example.com", Method.GET, "/")).isEqualTo("wild");
        assertThat(route(table, "example.com", Method.GET, "/")).isEqualTo("any");
    }

    @Test
    void pathSpecificityComesBeforeHostSpecificity() {
        RouteTable table = table("""
                hostShort={"pathPrefix": "/a", "hosts": ["api.example.com"]}""", """
                anyLong={"pathPrefix": "/a/b"}""");

        assertThat(route(table, "api.example.com", Method.GET, "/a/b/c")).isEqualTo("anyLong");
        assertThat(route(table, "api.example.com", Method.GET, "/a/c")).isEqualTo("hostShort");
    }

    @Test
    void moreMethodAndHeaderConditionsWin() {
        RouteTable table = table("""
                plain={"pathPrefix": "/"}""", """
                get={"pathPrefix": "/", "methods": ["GET"]}""", """
                getCanary={"pathPrefix": "/", "methods": ["GET"], "headers": [{"name": "x-canary", "present": true}]}""");

        assertThat(route(table, null, Method.GET, "/x", "x-canary", "1")).isEqualTo("getCanary");
        assertThat(route(table, null, Method.GET, "/x")).isEqualTo("get");
        assertThat(route(table, null, Method.POST, "/x", "x-canary", "1")).isEqualTo("plain");
    }

    @Test
    void failingConditionsFallThroughToTheNextBestRoute() {
        RouteTable table = table("""
                postOnly={"pathExact": "/items", "methods": ["POST"]}""", """
                items={"pathPrefix": "/items"}""");

        assertThat(route(table, null, Method.POST, "/items")).isEqualTo("postOnly");
        assertThat(route(table, null, Method.GET, "/items")).isEqualTo("items");
    }

    @Test
    void tiesGoToTheRouteDeclaredFirst() {
        String a = """
                a={"pathPrefix": "/", "headers": [{"name": "x-a", "present": true}]}""";
        String b = """
                b={"pathPrefix": "/", "headers": [{"name": "x-b", "present": true}]}""";

        assertThat(route(table(a, b), null, Method.GET, "/", "x-a", "1", "x-b", "1")).isEqualTo("a");
        assertThat(route(table(b, a), null, Method.GET, "/", "x-a", "1", "x-b", "1")).isEqualTo("b");
        assertThat(route(table(b, a), null, Method.GET, "/", "x-a", "1")).isEqualTo("a");
    }

    // ---- compilation

    @Test
    void identicalEffectiveMatchesAreRejectedButDifferentHostsAreNot() {
        assertThatThrownBy(() -> table("""
                a={"pathExact": "/x", "hosts": ["a.test", "b.test"], "methods": ["GET"]}""", """
                b={"pathExact": "/x", "hosts": ["B.test", "a.test"], "methods": ["GET"]}"""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routes 'a' and 'b' have the same path exact /x");
        assertThat(table("""
                a={"pathExact": "/x", "hosts": ["a.test"]}""", """
                b={"pathExact": "/x", "hosts": ["b.test"]}""").size()).isEqualTo(2);
    }

    @Test
    void pathsThatAreNotAbsoluteNeverMatch() {
        RouteTable table = table("""
                root={"pathPrefix": "/"}""");
        assertThat(get(table, "")).isEqualTo("none");
        assertThat(get(table, "*")).isEqualTo("none");
        assertThat(get(table, "/")).isEqualTo("root");
    }

    @Test
    void largeMixedTableFindsTheMostSpecificRoute() {
        List<String> routes = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            routes.add("p" + i + "={\"pathPrefix\": \"/svc" + i + "\"}");
            routes.add("t" + i + "={\"pathTemplate\": \"/svc" + i + "/items/{id}\"}");
            routes.add("e" + i + "={\"pathExact\": \"/svc" + i + "/items/special\"}");
            routes.add("h" + i + "={\"pathPrefix\": \"/svc" + i + "\", \"hosts\": [\"h" + i + ".example.com\"]}");
            routes.add("w" + i + "={\"pathPrefix\": \"/svc" + i + "\", \"hosts\": [\"*.w" + i + ".example.com\"]}");
        }
        RouteTable table = table(routes.toArray(String[]::new));

        assertThat(table.size()).isEqualTo(10_000);
        assertThat(get(table, "/svc1999/items/7")).isEqualTo("t1999");
        assertThat(get(table, "/svc1999/items/special")).isEqualTo("e1999");
        assertThat(get(table, "/svc1999/other")).isEqualTo("p1999");
        assertThat(route(table, "h5.example.com", Method.GET, "/svc5/x")).isEqualTo("h5");
        assertThat(route(table, "x.w5.example.com", Method.GET, "/svc5/x")).isEqualTo("w5");
        assertThat(route(table, "h5.example.com", Method.GET, "/svc6/x")).isEqualTo("p6");
        assertThat(get(table, "/svc2000")).isEqualTo("none");
    }
}
