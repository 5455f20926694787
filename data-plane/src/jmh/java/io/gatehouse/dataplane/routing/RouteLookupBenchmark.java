package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.proto.config.v1.HeaderMatch;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.helidon.http.WritableHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Route lookup in tables of 1k and 10k routes: a mix of path prefixes (40%), templates (25%),
 * exact paths (25%) and host-bound routes (10%, exact and wildcard hosts), some with method and
 * header conditions. Each invocation looks up the next of 1024 pre-built requests (hits of every
 * kind, plus misses), so the JIT cannot fold a single path. Run with {@code bench/route-lookup.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteLookupBenchmark {

    private static final int REQUESTS = 1024;

    @Param({"1000", "10000"})
    public int routes;

    private RouteTable table;
    private final String[] hosts = new String[REQUESTS];
    private final Method[] methods = new Method[REQUESTS];
    private final String[] paths = new String[REQUESTS];
    private final Headers[] headers = new Headers[REQUESTS];
    private int next;

    @Setup(Level.Trial)
    public void buildTable() {
        UpstreamCluster upstream = new UpstreamCluster("u", List.of(new UpstreamTarget("http", "127.0.0.1", 8080, 1, "")));
        RouteTimeouts timeouts = new RouteTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));
        List<CompiledRoute> compiled = new ArrayList<>(routes);
        for (int i = 0; compiled.size() < routes; i++) {
            int service = i / 20;
            RouteMatch.Builder match = RouteMatch.newBuilder();
            switch (i % 20) {
                case 0, 1, 2, 3, 4, 5, 6, 7 -> match.setPathPrefix("/svc" + service + "/v" + (i % 20) + "/");
                case 8, 9, 10, 11, 12 -> match.setPathTemplate("/svc" + service + "/t" + (i % 20) + "/{id}/items/{item}");
                case 13, 14, 15, 16 -> match.setPathExact("/svc" + service + "/e" + (i % 20) + "/status");
                case 17 -> match.setPathExact("/svc" + service + "/e17/status").addMethods(HttpMethod.POST)
                        .addHeaders(HeaderMatch.newBuilder().setName("x-tenant").setExact("acme"));
                case 18 -> match.setPathPrefix("/svc" + service).addHosts("api" + service + ".example.com");
                default -> match.setPathPrefix("/svc" + service).addHosts("*.tenant" + service + ".example.com");
            }
            RouteMatchSpec spec = RouteMatchSpec.fromConfig(match.build());
            compiled.add(new CompiledRoute("r" + i, spec, upstream, timeouts));
        }
        table = RouteTable.of(compiled);

        int services = routes / 20;
        SplittableRandom random = new SplittableRandom(42);
        WritableHeaders<?> none = WritableHeaders.create();
        WritableHeaders<?> tenant = WritableHeaders.create();
        tenant.add(HeaderValues.create(HeaderNames.create("x-tenant"), "acme"));
        tenant.add(HeaderValues.create(HeaderNames.create("user-agent"), "bench"));
        for (int r = 0; r < REQUESTS; r++) {
            int service = random.nextInt(services);
            hosts[r] = "www.example.com";
            methods[r] = Method.GET;
            headers[r] = none;
            paths[r] = switch (r % 8) {
                case 0 -> "/svc" + service + "/v3/orders/" + r + "/lines";                  // prefix
                case 1 -> "/svc" + service + "/t9/" + r + "/items/" + (r * 7);              // template
                case 2 -> "/svc" + service + "/e14/status";                                 // exact
                case 3 -> {                                                                  // exact + method + header
                    methods[r] = Method.POST;
                    headers[r] = tenant;
                    yield "/svc" + service + "/e17/status";
                }
                case 4 -> {                                                                  // exact host
                    hosts[r] = "api" + service + ".example.com:8443";
                    yield "/svc" + service + "/anything";
                }
                case 5 -> {                                                                  // wildcard host
                    hosts[r] = "eu.tenant" + service + ".example.com";
                    yield "/svc" + service + "/x/y";
                }
                case 6 -> "/svc" + service + "/t10/" + r + "/items";                        // template miss
                default -> "/nowhere/" + r;                                                  // miss
            };
        }
    }

    @Benchmark
    public Optional<CompiledRoute> lookup() {
        int i = next++ & (REQUESTS - 1);
        return table.match(hosts[i], methods[i], paths[i], headers[i]);
    }
}
