package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class RouteMatchRulesTest {

    private final ConfigValidator validator = new ConfigValidator();

    /** One upstream "api" and the given routes (YAML list items, indented by 2). */
    private List<ValidationProblem> problems(String routesYaml) {
        GatewayConfig config = yaml("""
                upstreams:
                  - name: api
                    targets: [{url: "http://10.0.0.1:8080"}]
                routes:
                """ + routesYaml);
        return validator.validate(config);
    }

    private List<ValidationProblem> problemsOfMatch(String matchYaml) {
        return problems("  - {id: r, upstream: api, match: " + matchYaml + "}\n");
    }

    @Test
    void acceptsEveryMatcherRewriteAndHeaderTransform() {
        assertThat(problems("""
                  - id: users
                    upstream: api
                    match:
                      pathTemplate: /users/{id}/orders/{order_id}
                      hosts: [api.example.com, "*.example.com", API.Example.org]
                      methods: [GET, HEAD]
                      headers: [{name: x-tenant, exact: acme}, {name: X-Debug, present: true}, {name: x-off, present: false}]
                    rewrite: {path: "/v2/orders/{order_id}"}
                  - id: health
                    upstream: api
                    match: {pathExact: /health/}
                    requestHeaders: {add: {x-via: gatehouse}, set: {x-env: prod}, remove: [cookie]}
                    responseHeaders: {set: {cache-control: no-store}, remove: [server]}
                  - id: api
                    upstream: api
                    match: {pathPrefix: /api}
                    rewrite: {prefix: /}
                """)).isEmpty();
    }

    @Test
    void acceptsTemplatePrefixAndExactRoutesOnTheSamePath() {
        assertThat(problems("""
                  - {id: a, upstream: api, match: {pathPrefix: /users}}
                  - {id: b, upstream: api, match: {pathExact: /users}}
                  - {id: c, upstream: api, match: {pathTemplate: "/users/{id}"}}
                  - {id: d, upstream: api, match: {pathPrefix: /users, hosts: [a.example.com]}}
                  - {id: e, upstream: api, match: {pathPrefix: /users, methods: [GET]}}
                  - {id: f, upstream: api, match: {pathPrefix: /users, headers: [{name: x, present: true}]}}
                """)).isEmpty();
    }

    @Test
    void requiresAPath() {
        assertThat(problemsOfMatch("{hosts: [a.example.com]}")).containsExactly(new ValidationProblem(
                "routes[0].match", "exactly one of pathPrefix, pathExact or pathTemplate is required"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"users", "/a//b", "/a/../b", "/a?x=1"})
    void rejectsMalformedExactPaths(String path) {
        assertThat(problemsOfMatch("{pathExact: \"" + path + "\"}")).isNotEmpty()
                .allSatisfy(p -> assertThat(p.path()).isEqualTo("routes[0].match.pathExact"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"users/{id}", "/users/{id", "/users/id}", "/users/x{id}", "/users/{id}x", "/users/{}",
            "/users/{1id}", "/users/{a-b}", "/a/{id}/b/{id}", "/users/{id}/", "/a//{id}", "/users", "/{id}?x"})
    void rejectsMalformedTemplates(String template) {
        assertThat(problemsOfMatch("{pathTemplate: \"" + template + "\"}")).isNotEmpty()
                .allSatisfy(p -> assertThat(p.path()).isEqualTo("routes[0].match.pathTemplate"));
    }

    @Test
    void namesTheRepeatedTemplateVariable() {
        assertThat(problemsOfMatch("{pathTemplate: \"/a/{id}/b/{id}\"}")).singleElement()
                .satisfies(p -> assertThat(p.reason()).contains("{id} appears more than once"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/{id}", "/users/{id}/orders/{_o2}", "/a/{B_c}"})
    void acceptsWellFormedTemplates(String template) {
        assertThat(problemsOfMatch("{pathTemplate: \"" + template + "\"}")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "*", "*.com", "a.*.com", "*a.example.com", "**.example.com", "api.example.com:8080",
            "-a.example.com", "a-.example.com", "a..example.com", "api_x.example.com", "[::1]", "example.com."})
    void rejectsMalformedHosts(String host) {
        assertThat(problemsOfMatch("{pathPrefix: /, hosts: [\"" + host + "\"]}")).isNotEmpty()
                .allSatisfy(p -> assertThat(p.path()).isEqualTo("routes[0].match.hosts[0]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.example.com", "*.example.com", "localhost", "10.0.0.1", "A-1.Example.COM"})
    void acceptsHostNames(String host) {
        assertThat(problemsOfMatch("{pathPrefix: /, hosts: [\"" + host + "\"]}")).isEmpty();
    }

    @Test
    void rejectsDuplicateHostsIgnoringCase() {
        assertThat(problemsOfMatch("{pathPrefix: /, hosts: [a.example.com, A.example.com]}")).singleElement()
                .satisfies(p -> {
                    assertThat(p.path()).isEqualTo("routes[0].match.hosts[1]");
                    assertThat(p.reason()).contains("duplicate host").contains("hosts[0]");
                });
    }

    @Test
    void rejectsUnspecifiedAndDuplicateMethods() {
        assertThat(problemsOfMatch("{pathPrefix: /, methods: [GET, HTTP_METHOD_UNSPECIFIED, POST, GET]}"))
                .extracting(ValidationProblem::path)
                .containsExactly("routes[0].match.methods[1]", "routes[0].match.methods[3]");
    }

    @Test
    void rejectsBadHeaderConditions() {
        assertThat(problemsOfMatch("{pathPrefix: /, headers: [{name: \"bad name\", exact: x}, {name: x-a},"
                + " {exact: v}, {name: X-B, present: true}, {name: x-b, present: false}]}"))
                .extracting(ValidationProblem::path)
                .containsExactly(
                        "routes[0].match.headers[0].name",
                        "routes[0].match.headers[1]",
                        "routes[0].match.headers[2].name",
                        "routes[0].match.headers[4].name");
    }

    @Test
    void rejectsTheLaterOfTwoIdenticalMatchesNamingTheEarlierRoute() {
        List<ValidationProblem> problems = problems("""
                  - {id: first, upstream: api, match: {pathTemplate: "/u/{id}", hosts: [a.example.com, "*.b.example.com"], methods: [GET, POST], headers: [{name: x, exact: "1"}, {name: y, present: false}]}}
                  - {id: other, upstream: api, match: {pathTemplate: "/u/{id}", hosts: [a.example.com], methods: [GET, POST]}}
                  - {id: same, upstream: api, match: {pathTemplate: "/u/{uid}", hosts: ["*.B.example.com", a.example.com], methods: [POST, GET], headers: [{name: Y, present: false}, {name: x, exact: "1"}]}}
                """);
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("routes[2].match.pathTemplate");
            assertThat(p.reason()).contains("conflicts with routes[0] (id 'first')");
        });
    }

    @Test
    void routesDifferingInOneConditionDoNotConflict() {
        assertThat(problems("""
                  - {id: a, upstream: api, match: {pathExact: /x, headers: [{name: h, exact: "1"}]}}
                  - {id: b, upstream: api, match: {pathExact: /x, headers: [{name: h, exact: "2"}]}}
                  - {id: c, upstream: api, match: {pathExact: /x, headers: [{name: h, present: true}]}}
                  - {id: d, upstream: api, match: {pathExact: /x/}}
                  - {id: e, upstream: api, match: {pathExact: /x, methods: [GET]}}
                """)).isEmpty();
        assertThat(problems("""
                  - {id: a, upstream: api, match: {pathExact: /x, methods: [GET]}}
                  - {id: b, upstream: api, match: {pathExact: /x, methods: [GET]}}
                """)).extracting(ValidationProblem::path).containsExactly("routes[1].match.pathExact");
    }

    @Test
    void prefixRewriteNeedsAPrefixRoute() {
        assertThat(problems("""
                  - {id: a, upstream: api, match: {pathExact: /x}, rewrite: {prefix: /y}}
                  - {id: b, upstream: api, match: {pathPrefix: /x}, rewrite: {prefix: "y//"}}
                """)).extracting(ValidationProblem::path)
                .containsExactly("routes[0].rewrite.prefix", "routes[1].rewrite.prefix", "routes[1].rewrite.prefix");
    }

    @Test
    void rewritePathVariablesMustExistInTheTemplate() {
        List<ValidationProblem> problems = problems("""
                  - {id: a, upstream: api, match: {pathTemplate: "/u/{id}"}, rewrite: {path: "/users/{uid}"}}
                  - {id: b, upstream: api, match: {pathPrefix: /u}, rewrite: {path: "/users/{id}"}}
                  - {id: c, upstream: api, match: {pathTemplate: "/c/{id}"}, rewrite: {path: "/users/{id"}}
                  - {id: d, upstream: api, match: {pathTemplate: "/d/{id}"}, rewrite: {path: "users/{id}"}}
                  - {id: e, upstream: api, match: {pathTemplate: "/e/{id}"}, rewrite: {path: "/e/{id}/x-{id}"}}
                """);
        assertThat(problems).extracting(ValidationProblem::path).containsExactly(
                "routes[0].rewrite.path", "routes[1].rewrite.path", "routes[2].rewrite.path", "routes[3].rewrite.path");
        assertThat(problems.get(0).reason()).contains("{uid}").contains("does not define");
        assertThat(problems.get(1).reason()).contains("no match.pathTemplate");
    }

    @Test
    void headerTransformsRejectInvalidAndProxyManagedNames() {
        List<ValidationProblem> problems = problems("""
                  - id: a
                    upstream: api
                    match: {pathPrefix: /}
                    requestHeaders: {add: {"bad name": x, Connection: close}, set: {Host: evil, x-ok: "a\\r\\nb"}, remove: [Transfer-Encoding, x-fine]}
                    responseHeaders: {set: {Content-Length: "1"}, remove: ["", upgrade]}
                """);
        assertThat(problems).extracting(ValidationProblem::path).containsExactly(
                "routes[0].requestHeaders.add[Connection]",
                "routes[0].requestHeaders.add[bad name]",
                "routes[0].requestHeaders.set[Host]",
                "routes[0].requestHeaders.set[x-ok]",
                "routes[0].requestHeaders.remove[0]",
                "routes[0].responseHeaders.set[Content-Length]",
                "routes[0].responseHeaders.remove[0]",
                "routes[0].responseHeaders.remove[1]");
        assertThat(problems.get(3).reason()).contains("CR, LF");
    }
}
