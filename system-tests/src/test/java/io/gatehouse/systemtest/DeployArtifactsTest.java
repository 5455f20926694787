package io.gatehouse.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.Durations;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.ListTokensRequest;
import io.gatehouse.proto.admin.v1.Role;
import io.gatehouse.proto.admin.v1.TokenInfo;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.gatehouse.testing.RedisServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monitoring artifacts in deploy/ against live components. A real control plane (real
 * PostgreSQL, token-protected /metrics read with a viewer token, as Prometheus does in compose) and a
 * real data plane (mutual TLS to it, a private Redis) carry traffic through every policy family that
 * has metrics (plain proxying, upstream errors, an opening circuit breaker, a Redis rate limit, the
 * response cache), so their labelled series exist. Then:
 * <ul>
 *   <li>every metric, label and literal label value named by a Grafana dashboard query
 *       (deploy/grafana/*.json), an alert or recording rule (deploy/prometheus/rules), a Prometheus
 *       relabelling of {@code __name__}, or a Kubernetes monitoring manifest is in a live
 *       {@code /metrics} — renaming a metric or label in the code without the dashboards fails here;</li>
 *   <li>compose's metrics-token script, run as written against the live control plane, writes a
 *       viewer token into a 0600 file once and keeps it on later runs;</li>
 *   <li>a real Prometheus (Debian package prometheus) with deploy/prometheus/compose.yml, only its
 *       targets pointed at the live components and its credentials file at the one that script wrote,
 *       scrapes both (the control plane only with the token), evaluates every rule without error and
 *       returns data for every dashboard query;</li>
 *   <li>every scrape target in compose.yml is a compose service of the right image, listening on that
 *       port on a non-loopback address, and every Gatehouse service in compose is scraped.</li>
 * </ul>
 */
class DeployArtifactsTest {

    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    /** Labels Prometheus puts on every series of a target, not the component: config's target labels. */
    private static final Set<String> SCRAPE_LABELS = Set.of("job", "instance");
    /** Series Prometheus makes itself for each target. */
    private static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");
    private static final Map<String, String> JOB_COMPONENT = Map.of(
            "gatehouse-data-plane", "data-plane", "gatehouse-control-plane", "control-plane");
    private static final Map<String, String> IMAGE_COMPONENT = Map.of(
            "gatehouse/data-plane", "data-plane", "gatehouse/control-plane", "control-plane");
    /** Grafana's built-in variables, as the live Prometheus check substitutes them. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of(
            "$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h");

    @TempDir
    static Path dir;

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db, "cp-deploy");
    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("deploy");
    @RegisterExtension static final RedisServer redis = RedisServer.create("deploy");
    @RegisterExtension static final Closer closer = new Closer();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static DataPlane dp;
    private static Map<String, Exposition> live;
    private static ScriptRun metricsToken;

    @BeforeAll
    static void startFleetAndSendTrafficThroughEveryPolicy() throws Exception {
        long started = System.nanoTime();
        GatewayConfig config = GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)))
                .addUpstreams(Snapshots.upstream("backend", upstream.url()))
                // nothing listens there: connect errors, 502s, then an open breaker and 503 circuit_open
                .addUpstreams(Snapshots.upstream("unreachable", "http://127.0.0.1:" + closedPort()).toBuilder()
                        .setCircuitBreaker(CircuitBreaker.newBuilder().setConsecutiveFailures(2)))
                .addRoutes(Snapshots.route("plain", "/plain", "backend"))
                .addRoutes(Snapshots.route("limited", "/limited", "backend").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(RateLimit.newBuilder().setName("per-user")
                                .setLimit(1).setPeriod(Durations.fromSeconds(3600))
                                .setKey(RateLimitKey.newBuilder().setHeader("x-user")))))
                .addRoutes(Snapshots.route("cached", "/cached", "backend").toBuilder()
                        .setCache(CachePolicy.newBuilder().setTtl(Durations.fromSeconds(3600))))
                .addRoutes(Snapshots.route("broken", "/broken", "unreachable"))
                .build();
        ApplyResponse applied = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config)
                .setAuthor("test").setMessage("deploy artifacts").build());
        assertThat(applied.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        long version = applied.getVersion().getVersion();

        Map<String, String> env = new HashMap<>(Map.of(
                "GATEHOUSE_CP_ADDRESS", cp.target(),
                "GATEHOUSE_BIND", "127.0.0.1",
                "GATEHOUSE_PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_REDIS_URL", "redis://127.0.0.1:" + redis.port(),
                "GATEHOUSE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(DataPlaneTls.env("dp-deploy-1", "us"));
        dp = closer.track(DataPlane.start(DataPlaneSettings.fromEnvironment(env),
                Telemetry.create(Map.of("gatehouse.access.log", "off"))));
        Await.until("data plane serves version " + version, () -> dp.configVersion() == version);

        // The rate limit and the cache talk to Redis through a lazily opened connection: until it is
        // up, decisions are local fallbacks. Send until Redis decided one, so the "redis" series exist.
        Await.until("a rate-limit decision made in Redis", () -> {
            sendTrafficRound();
            return scrapeDataPlane().contains("source=\"redis\"");
        });
        sendTrafficRound();
        live = Map.of("data-plane", Exposition.parse("data-plane", scrapeDataPlane()),
                "control-plane", Exposition.parse("control-plane", scrapeControlPlane()));
        System.out.printf("[measure] fleet up and traffic through every policy: %d ms%n",
                (System.nanoTime() - started) / 1_000_000);
    }

    @Test
    void everyMetricLabelAndValueTheDeployArtifactsNameIsExportedByALiveComponent() throws IOException {
        List<Query> queries = deployQueries();
        // Guards the loader: the dashboard and the rules are really read (a broken path would pass vacuously).
        assertThat(queries).filteredOn(q -> q.source().startsWith("grafana/")).hasSizeGreaterThanOrEqualTo(10);
        assertThat(queries).filteredOn(q -> q.source().startsWith("prometheus/rules/")).hasSizeGreaterThanOrEqualTo(5);

        List<String> problems = new ArrayList<>();
        for (Query query : queries) {
            problems.addAll(check(query, live, scrapeJobs()));
        }
        assertThat(problems).as("metrics named in deploy/ but not exported by the live control plane or data plane"
                + " (live series: " + live.values().stream().map(e -> e.component() + " " + e.samples().keySet()).toList()
                + ")").isEmpty();
    }

    @Test
    void theCheckFailsForARenamedMetricLabelOrValue() throws IOException {
        // The check above must be able to fail: each of these differs from what is exported in one way.
        Set<String> jobs = scrapeJobs();
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("sum(rate(gatehouse_request_total[1m]))", "gatehouse_request_total");
        broken.put("sum by (routes) (rate(gatehouse_requests_total[1m]))", "routes");
        broken.put("rate(gatehouse_requests_total{status_class=\"500\"}[1m])", "500");
        broken.put("rate(gatehouse_requests_total{status=\"5xx\"}[1m])", "status");
        broken.put("histogram_quantile(0.99, sum by (le) (rate(gatehouse_requests_total_bucket[5m])))",
                "gatehouse_requests_total_bucket");
        broken.put("histogram_quantile(0.99, rate(gatehouse_request_duration_seconds[5m]))",
                "gatehouse_request_duration_seconds");
        broken.put("gatehouse_cp_active_version{job=\"gatehouse-data-plane\"}", "gatehouse_cp_active_version");
        broken.put("up{job=\"gatehouse-dataplane\"}", "gatehouse-dataplane");
        broken.put("{__name__=\"gatehouse_cp_pushed_total\"}", "gatehouse_cp_pushed_total");
        broken.forEach((expression, culprit) -> assertThat(check(new Query("test", expression), live, jobs))
                .as(expression).anySatisfy(problem -> assertThat(problem).contains(culprit)));

        // ... while the same shapes with the exported names pass.
        for (String good : List.of("sum by (route) (rate(gatehouse_requests_total{status_class=\"5xx\"}[1m]))",
                "histogram_quantile(0.99, sum by (route, le) (rate(gatehouse_request_duration_seconds_bucket[$__rate_interval])))",
                "gatehouse_cp_active_version{job=\"gatehouse-control-plane\"} offset 5m", "up{job=~\"gatehouse-.*\"} == 0",
                "{__name__=\"gatehouse_cp_pushes_total\"}")) {
            assertThat(check(new Query("test", good), live, jobs)).as(good).isEmpty();
        }
    }

    @Test
    void aRealPrometheusWithTheComposeConfigScrapesBothAndAnswersEveryDashboardQuery() throws Exception {
        long started = System.nanoTime();
        // Traffic keeps flowing while Prometheus scrapes every second, so rate() over [1m] has increases.
        AtomicBoolean traffic = new AtomicBoolean(true);
        Thread sender = Thread.ofVirtual().start(() -> {
            while (traffic.get()) {
                sendTrafficRound();
                sleep(200);
            }
        });
        try (Prometheus prometheus = Prometheus.start(dir.resolve("prometheus"), prometheusConfigForThisFleet())) {
            checkPrometheus(prometheus, started);
        } finally {
            traffic.set(false);
            sender.join(10_000);
        }
    }

    private static void checkPrometheus(Prometheus prometheus, long started) throws IOException {
        // Both targets up: the control plane's one only because the credentials file holds a valid token.
        awaitOrExplain("Prometheus scraped both targets", Duration.ofSeconds(60), () -> {
            JsonNode targets = prometheus.api("/api/v1/targets").path("data").path("activeTargets");
            return targets.size() == 2 && Stream.of(0, 1).allMatch(i -> targets.get(i).path("health").asText().equals("up"));
        }, () -> prometheus.api("/api/v1/targets") + "\n" + prometheus.logTail());
        JsonNode targets = prometheus.api("/api/v1/targets").path("data").path("activeTargets");
        assertThat(Stream.of(0, 1).map(i -> targets.get(i).path("labels").path("job").asText()))
                .containsExactlyInAnyOrder("gatehouse-data-plane", "gatehouse-control-plane");

        List<Query> dashboardQueries = deployQueries().stream().filter(q -> q.source().startsWith("grafana/")).toList();
        Map<String, String> empty = new LinkedHashMap<>();
        awaitOrExplain("every dashboard query returns data", Duration.ofSeconds(60), () -> {
            empty.clear();
            for (Query query : dashboardQueries) {
                String promql = grafanaToPromQl(query.expression());
                JsonNode answer = prometheus.api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
                if (!answer.path("status").asText().equals("success") || answer.path("data").path("result").isEmpty()) {
                    empty.put(query.source() + ": " + promql, answer.toString());
                }
            }
            return empty.isEmpty();
        }, () -> "queries without data: " + empty);

        // Every alert rule evaluated without error (health "ok", not "unknown" or "err").
        awaitOrExplain("every rule evaluated", Duration.ofSeconds(30), () -> {
            List<JsonNode> health = prometheus.api("/api/v1/rules").findValues("health");
            return !health.isEmpty() && health.stream().allMatch(h -> h.asText().equals("ok"));
        }, () -> prometheus.api("/api/v1/rules").toString());
        JsonNode rules = prometheus.api("/api/v1/rules");
        long ruleFileRules = deployQueries().stream().filter(q -> q.source().startsWith("prometheus/rules/")).count();
        assertThat(rules.findValues("health")).hasSize((int) ruleFileRules);
        System.out.printf("[measure] Prometheus started, both targets up, %d dashboard queries with data, %d rules ok: %d ms%n",
                dashboardQueries.size(), ruleFileRules, (System.nanoTime() - started) / 1_000_000);
    }

    @Test
    void composesMetricsTokenScriptWritesAViewerTokenFileOnceAndKeepsIt() throws Exception {
        ScriptRun first = composeMetricsToken();
        Path file = first.out().resolve("token");
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String token = Files.readString(file).strip();
        assertThat(token).matches("ght_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
        assertThat(first.output()).as("the token is in no log").doesNotContain(token.substring(21));

        String tokenId = token.substring(4, 20);
        TokenInfo info = cp.admin().listTokens(ListTokensRequest.getDefaultInstance()).getTokensList().stream()
                .filter(t -> t.getTokenId().equals(tokenId)).findFirst().orElseThrow();
        assertThat(info.getRole()).as("a dedicated token with the least role that reads /metrics").isEqualTo(Role.VIEWER);
        assertThat(info.getName()).startsWith("prometheus-");
        HttpResponse<String> metrics = get(cp.controlPlane().httpPort(), "/metrics", Map.of("Authorization", "Bearer " + token));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("gatehouse_cp_active_version ");

        // A later `up` keeps the file (and makes no second token).
        ScriptRun again = runMetricsTokenScript(first.out(), first.pki());
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(again.output()).contains("exists, kept");
        assertThat(Files.readString(file).strip()).isEqualTo(token);
        assertThat(cp.admin().listTokens(ListTokensRequest.getDefaultInstance()).getTokensList())
                .filteredOn(t -> t.getName().startsWith("prometheus-")).hasSize(1);
    }

    @Test
    void everyComposeScrapeTargetIsAComposeServiceListeningOnThatPort() throws IOException {
        Map<String, Object> compose = yaml(DEPLOY.resolve("docker/compose.yaml"));
        Map<String, Object> services = map(compose.get("services"));
        Map<String, Object> prometheusConfig = yaml(DEPLOY.resolve("prometheus/compose.yml"));
        List<String> problems = new ArrayList<>();
        Set<String> scraped = new TreeSet<>();

        for (Object o : list(prometheusConfig.get("scrape_configs"))) {
            Map<String, Object> job = map(o);
            String jobName = (String) job.get("job_name");
            String component = JOB_COMPONENT.get(jobName);
            if (component == null) {
                problems.add("job " + jobName + " scrapes no known Gatehouse component");
                continue;
            }
            if (!"/metrics".equals(job.getOrDefault("metrics_path", "/metrics"))) {
                problems.add("job " + jobName + ": metrics_path " + job.get("metrics_path") + " is not /metrics");
            }
            for (Object group : list(job.get("static_configs"))) {
                for (Object t : list(map(group).get("targets"))) {
                    String target = (String) t;
                    String host = target.substring(0, target.lastIndexOf(':'));
                    int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
                    scraped.add(host);
                    Map<String, Object> service = services.containsKey(host) ? map(services.get(host)) : null;
                    if (service == null) {
                        problems.add("job " + jobName + ": target " + target + " is no compose service");
                        continue;
                    }
                    String image = String.valueOf(service.get("image"));
                    if (!component.equals(IMAGE_COMPONENT.get(image))) {
                        problems.add("job " + jobName + ": target " + target + " runs image " + image);
                        continue;
                    }
                    Map<String, Object> environment = map(service.getOrDefault("environment", Map.of()));
                    ListenAddress metrics = component.equals("data-plane")
                            ? new ListenAddress(environment, "GATEHOUSE_ADMIN_BIND", DataPlaneSettings.DEFAULT_ADMIN_BIND,
                                    "GATEHOUSE_ADMIN_PORT", DataPlaneSettings.DEFAULT_ADMIN_PORT)
                            : new ListenAddress(environment, "GATEHOUSE_CP_HTTP_BIND",
                                    io.gatehouse.controlplane.server.ControlPlaneSettings.DEFAULT_HTTP_BIND,
                                    "GATEHOUSE_CP_HTTP_PORT", io.gatehouse.controlplane.server.ControlPlaneSettings.DEFAULT_HTTP_PORT);
                    if (metrics.port() != port) {
                        problems.add("job " + jobName + ": target " + target + " but " + host + " serves /metrics on " + metrics.port());
                    }
                    if (metrics.bind().startsWith("127.") || metrics.bind().equals("localhost") || metrics.bind().equals("::1")) {
                        problems.add("job " + jobName + ": " + host + " binds its /metrics listener to " + metrics.bind()
                                + ", unreachable from the prometheus container");
                    }
                }
            }
            if (component.equals("control-plane")) {
                checkControlPlaneCredentials(job, services, problems);
            }
        }
        services.forEach((name, s) -> {
            if (IMAGE_COMPONENT.containsKey(String.valueOf(map(s).get("image"))) && !scraped.contains(name)) {
                problems.add("compose service " + name + " (" + map(s).get("image") + ") is scraped by no job");
            }
        });
        checkPrometheusAndGrafanaWiring(services, problems);
        assertThat(problems).isEmpty();
        assertThat(scraped).as("the check really read the targets").contains("control-plane", "dp-us", "dp-eu");
    }

    // --- the checks ------------------------------------------------------------------------------

    record Query(String source, String expression) {
    }

    /** The problems of one query against the live expositions; empty when everything it names exists. */
    static List<String> check(Query query, Map<String, Exposition> live, Set<String> jobs) {
        List<String> problems = new ArrayList<>();
        PromQl.Parsed parsed;
        try {
            parsed = PromQl.parse(query.expression());
        } catch (IllegalArgumentException e) {
            return List.of(query.source() + ": " + e.getMessage());
        }
        Set<String> labelsInScope = new LinkedHashSet<>(SCRAPE_LABELS);
        labelsInScope.addAll(targetLabels());
        for (PromQl.Selector selector : parsed.selectors()) {
            String where = query.source() + ": " + selector.metric();
            if (selector.metric() == null) {
                problems.add(query.source() + ": a selector without a metric name in " + query.expression());
                continue;
            }
            List<Exposition> candidates = new ArrayList<>();
            for (PromQl.Matcher m : selector.matchers()) {
                if (m.label().equals("job")) {
                    List<String> matching = jobs.stream().filter(job -> matches(m, job)).toList();
                    if (matching.isEmpty()) {
                        problems.add(where + ": job matcher " + m + " matches none of the scrape jobs " + jobs);
                    }
                    matching.stream().map(JOB_COMPONENT::get).map(live::get).forEach(candidates::add);
                }
            }
            if (selector.matchers().stream().noneMatch(m -> m.label().equals("job"))) {
                candidates.addAll(live.values());
            }
            if (SYNTHETIC.contains(selector.metric())) {
                continue; // made by Prometheus for every target; its job matcher was checked above
            }
            List<Exposition> exporting = candidates.stream().filter(e -> e.has(selector.metric())).toList();
            if (exporting.isEmpty()) {
                problems.add(where + " is exported by none of " + candidates.stream().map(Exposition::component).toList()
                        + " (with a series)");
                continue;
            }
            String name = selector.metric();
            // x_bucket/_sum/_count only where the live exposition has histogram (or summary) x.
            if (name.matches(".*_(bucket|sum|count)$") && !exporting.getFirst().types().containsKey(name)
                    && !exporting.getFirst().typeOf(name).map(t -> t.equals("histogram") || t.equals("summary")).orElse(false)) {
                problems.add(where + ": not part of a histogram or summary");
            }
            Map<String, Set<String>> labels = new LinkedHashMap<>();
            exporting.forEach(e -> e.labels(name).forEach((l, v) -> labels.computeIfAbsent(l, k -> new TreeSet<>()).addAll(v)));
            labelsInScope.addAll(labels.keySet());
            for (PromQl.Matcher m : selector.matchers()) {
                if (SCRAPE_LABELS.contains(m.label()) || targetLabels().contains(m.label())) {
                    continue;
                }
                if (!labels.containsKey(m.label())) {
                    problems.add(where + ": no label " + m.label() + " (it has " + labels.keySet() + ")");
                } else if (m.literalEquality() && !labels.get(m.label()).contains(m.value())) {
                    problems.add(where + ": no series with " + m.label() + "=\"" + m.value() + "\" (values seen: "
                            + labels.get(m.label()) + ")");
                }
            }
        }
        for (String label : parsed.groupingLabels()) {
            if (!labelsInScope.contains(label)) {
                problems.add(query.source() + ": grouping label " + label + " is on none of the series of "
                        + parsed.metrics() + " in " + query.expression());
            }
        }
        return problems;
    }

    private static boolean matches(PromQl.Matcher m, String value) {
        return switch (m.op()) {
            case "=" -> m.value().equals(value);
            case "!=" -> !m.value().equals(value);
            case "=~" -> Pattern.compile(m.value()).matcher(value).matches();
            default -> !Pattern.compile(m.value()).matcher(value).matches();
        };
    }

    /** Every query in deploy/: dashboard panels and variables, rules, __name__ relabelling, Kubernetes manifests. */
    static List<Query> deployQueries() throws IOException {
        List<Query> queries = new ArrayList<>();
        for (Path dashboard : files(DEPLOY.resolve("grafana"), ".json")) {
            JsonNode root = JSON.readTree(dashboard.toFile());
            String source = "grafana/" + dashboard.getFileName();
            collectPanelQueries(root.path("panels"), source, queries);
            for (JsonNode variable : root.path("templating").path("list")) {
                if (variable.path("type").asText().equals("query")) {
                    String q = variable.path("query").isObject() ? variable.path("query").path("query").asText()
                            : variable.path("query").asText();
                    var labelValues = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)").matcher(q);
                    var queryResult = Pattern.compile("query_result\\((.*)\\)").matcher(q);
                    String where = source + " variable " + variable.path("name").asText();
                    if (labelValues.matches()) {
                        queries.add(new Query(where, "count by (" + labelValues.group(2) + ") (" + labelValues.group(1) + ")"));
                    } else if (queryResult.matches()) {
                        queries.add(new Query(where, queryResult.group(1)));
                    } else if (!q.isBlank()) {
                        queries.add(new Query(where, q));
                    }
                }
            }
        }
        for (Path rules : files(DEPLOY.resolve("prometheus/rules"), ".yml")) {
            for (Object group : list(yaml(rules).get("groups"))) {
                for (Object rule : list(map(group).get("rules"))) {
                    Map<String, Object> r = map(rule);
                    queries.add(new Query("prometheus/rules/" + rules.getFileName() + " "
                            + r.getOrDefault("alert", r.get("record")), String.valueOf(r.get("expr"))));
                }
            }
        }
        for (Path config : files(DEPLOY.resolve("prometheus"), ".yml")) {
            for (Object job : list(yaml(config).get("scrape_configs"))) {
                for (Object relabel : list(map(job).getOrDefault("metric_relabel_configs", List.of()))) {
                    Map<String, Object> r = map(relabel);
                    if (List.of("__name__").equals(r.get("source_labels")) && r.get("regex") instanceof String regex
                            && regex.matches("[a-zA-Z0-9_:|()]+") && "keep".equals(r.getOrDefault("action", "replace"))) {
                        for (String name : regex.replaceAll("[()]", "").split("\\|")) {
                            queries.add(new Query("prometheus/" + config.getFileName() + " metric_relabel_configs", name));
                        }
                    }
                }
            }
        }
        for (Path manifest : files(DEPLOY.resolve("kubernetes"), ".yaml")) {
            for (Object document : new Yaml().loadAll(Files.readString(manifest))) {
                collectExprFields(document, "kubernetes/" + manifest.getFileName(), queries);
            }
        }
        return queries;
    }

    private static void collectPanelQueries(JsonNode panels, String source, List<Query> into) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    into.add(new Query(source + " panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
                            target.get("expr").asText()));
                }
            }
            collectPanelQueries(panel.path("panels"), source, into); // rows hold their panels
        }
    }

    /** PrometheusRule (and any other manifest) keeps PromQL in fields named expr. */
    private static void collectExprFields(Object node, String source, List<Query> into) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if ("expr".equals(k) && v instanceof String s) {
                    into.add(new Query(source, s));
                } else {
                    collectExprFields(v, source, into);
                }
            });
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectExprFields(v, source, into));
        }
    }

    /** Job names of every Prometheus config in deploy/prometheus. */
    private static Set<String> scrapeJobs() {
        Set<String> jobs = new TreeSet<>();
        try {
            for (Path config : files(DEPLOY.resolve("prometheus"), ".yml")) {
                list(yaml(config).get("scrape_configs")).forEach(j -> jobs.add((String) map(j).get("job_name")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jobs;
    }

    /** Labels the Prometheus configs attach to targets (static labels, relabel target_label). */
    private static Set<String> targetLabels() {
        Set<String> labels = new TreeSet<>();
        try {
            for (Path config : files(DEPLOY.resolve("prometheus"), ".yml")) {
                for (Object j : list(yaml(config).get("scrape_configs"))) {
                    for (Object group : list(map(j).getOrDefault("static_configs", List.of()))) {
                        labels.addAll(map(map(group).getOrDefault("labels", Map.of())).keySet());
                    }
                    for (Object relabel : list(map(j).getOrDefault("relabel_configs", List.of()))) {
                        Object target = map(relabel).get("target_label");
                        if (target instanceof String t && !t.startsWith("__")) {
                            labels.add(t);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return labels;
    }

    private static void checkControlPlaneCredentials(Map<String, Object> job, Map<String, Object> services, List<String> problems) {
        Object file = map(job.getOrDefault("authorization", Map.of())).get("credentials_file");
        if (!(file instanceof String credentials)) {
            problems.add("job " + job.get("job_name") + ": no authorization.credentials_file (the control plane's /metrics needs a token)");
            return;
        }
        // The file must come from a volume that a one-shot service fills before Prometheus starts.
        Map<String, Object> prometheus = map(services.get("prometheus"));
        String volume = null;
        for (Object v : list(prometheus.get("volumes"))) {
            String[] parts = String.valueOf(v).split(":");
            if (credentials.startsWith(parts[1] + "/")) {
                volume = parts[0];
            }
        }
        if (volume == null) {
            problems.add("prometheus mounts nothing at " + credentials);
            return;
        }
        Map<String, Object> dependsOn = map(prometheus.getOrDefault("depends_on", Map.of()));
        String finalVolume = volume;
        boolean filled = dependsOn.entrySet().stream().anyMatch(d ->
                "service_completed_successfully".equals(map(d.getValue()).get("condition"))
                        && list(map(services.get(d.getKey())).getOrDefault("volumes", List.of())).stream()
                        .anyMatch(v -> String.valueOf(v).startsWith(finalVolume + ":")));
        if (!filled) {
            problems.add("volume " + volume + " (with " + credentials + ") is written by no service prometheus waits for");
        }
    }

    private static void checkPrometheusAndGrafanaWiring(Map<String, Object> services, List<String> problems) {
        Map<String, Object> prometheus = map(services.get("prometheus"));
        String command = String.valueOf(prometheus.get("command"));
        if (!command.contains("--config.file=/etc/prometheus/compose.yml")
                || list(prometheus.get("volumes")).stream().noneMatch(v -> String.valueOf(v).startsWith("../prometheus:/etc/prometheus"))) {
            problems.add("prometheus does not run deploy/prometheus/compose.yml: " + command + " " + prometheus.get("volumes"));
        }
        try {
            Map<String, Object> datasources = yaml(DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yaml"));
            String url = String.valueOf(map(list(datasources.get("datasources")).getFirst()).get("url"));
            if (!url.equals("http://prometheus:9090")) {
                problems.add("Grafana's datasource points at " + url + ", not the prometheus service");
            }
            Map<String, Object> providers = yaml(DEPLOY.resolve("grafana/provisioning/dashboards/gatehouse.yaml"));
            String path = String.valueOf(map(map(list(providers.get("providers")).getFirst()).get("options")).get("path"));
            Map<String, Object> grafana = map(services.get("grafana"));
            if (list(grafana.get("volumes")).stream().noneMatch(v -> String.valueOf(v).startsWith("../grafana:" + path + ":"))) {
                problems.add("Grafana loads dashboards from " + path + " but compose mounts deploy/grafana elsewhere: "
                        + grafana.get("volumes"));
            }
            Map<String, Object> environment = map(grafana.get("environment"));
            if (!"false".equals(String.valueOf(environment.get("GF_AUTH_ANONYMOUS_ENABLED")))
                    || !environment.containsKey("GF_SECURITY_ADMIN_PASSWORD__FILE") || environment.containsKey("GF_SECURITY_ADMIN_PASSWORD")) {
                problems.add("Grafana: anonymous access must be off and the admin password come from a file: " + environment);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String name : List.of("prometheus", "grafana", "jaeger")) {
            for (Object port : list(map(services.get(name)).getOrDefault("ports", List.of()))) {
                if (!String.valueOf(port).startsWith("127.0.0.1:")) {
                    problems.add(name + " publishes " + port + " beyond the host's loopback (it has no login or a weak one)");
                }
            }
        }
    }

    /** Where a component serves /metrics in compose: its environment over the code's defaults. */
    private record ListenAddress(String bind, int port) {
        ListenAddress(Map<String, Object> environment, String bindVariable, String defaultBind, String portVariable, int defaultPort) {
            this(String.valueOf(environment.getOrDefault(bindVariable, defaultBind)),
                    Integer.parseInt(String.valueOf(environment.getOrDefault(portVariable, defaultPort))));
        }
    }

    // --- the live fleet and Prometheus ----------------------------------------------------------

    /** One run of compose's metrics-token script: its volumes here, exit code and output. */
    private record ScriptRun(Path out, Path pki, int exitCode, String output) {
    }

    /**
     * Compose's metrics-token service, run once for the class: the script as written in compose.yaml,
     * its two volumes as temp directories (tls-admin with the CA and an admin token, as pki leaves it),
     * the admin CLI jar this build made as the image's app.jar, and this control plane as
     * control-plane:7070. Prometheus in this test then reads the token file it wrote.
     */
    private static synchronized ScriptRun composeMetricsToken() throws Exception {
        if (metricsToken == null) {
            Path out = Files.createDirectories(dir.resolve("volume-metrics-token"));
            Path pki = Files.createDirectories(dir.resolve("volume-tls-admin"));
            Files.copy(TestPki.shared().caFile(), pki.resolve("ca.pem"));
            Path bootstrap = Files.writeString(pki.resolve("bootstrap.token"),
                    cp.createToken("compose-bootstrap", Role.ADMIN) + "\n");
            Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rw-------"));
            metricsToken = runMetricsTokenScript(out, pki);
        }
        return metricsToken;
    }

    private static ScriptRun runMetricsTokenScript(Path out, Path pki) throws Exception {
        Map<String, Object> service = map(map(yaml(DEPLOY.resolve("docker/compose.yaml")).get("services")).get("metrics-token"));
        Map<String, Path> volumes = Map.of("metrics-token", out, "tls-admin", pki);
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (Object volume : list(service.get("volumes"))) {
            String[] parts = String.valueOf(volume).split(":");
            assertThat(volumes).as("metrics-token mounts " + volume).containsKey(parts[0]);
            mounts.put(parts[1], volumes.get(parts[0]));
        }
        Path cliJar;
        try (Stream<Path> jars = Files.list(Path.of("..", "admin-cli", "target"))) {
            cliJar = jars.filter(f -> f.getFileName().toString().matches("gatehouse-admin-cli-.*(?<!-tests)\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("admin-cli/target has no jar: build it first"))
                    .toAbsolutePath();
        }
        String java = ProcessHandle.current().info().command().orElseThrow();
        String script = String.valueOf(list(service.get("command")).getFirst())
                .replace("$$", "$") // compose's escape of a literal $
                .replace("java -jar /srv/gatehouse/app.jar", "'" + java + "' -jar '" + cliJar + "'")
                .replace("chown 65534", "chown \"$(id -u)\""); // Prometheus' uid in the image; here: ours
        Map<String, String> environment = new LinkedHashMap<>();
        map(service.get("environment")).forEach((k, v) -> environment.put(k, String.valueOf(v)));
        assertThat(environment).containsEntry("GATEHOUSE_CP_ADDRESS", "control-plane:7070");
        environment.put("GATEHOUSE_CP_ADDRESS", cp.target());
        for (var mount : mounts.entrySet()) {
            String target = mount.getKey();
            String local = mount.getValue().toString();
            script = script.replace(target + "/", local + "/");
            environment.replaceAll((k, v) -> v.equals(target) ? local
                    : v.startsWith(target + "/") ? local + v.substring(target.length()) : v);
        }
        List<String> command = new ArrayList<>();
        list(service.get("entrypoint")).forEach(e -> command.add(String.valueOf(e)));
        command.add(script);
        Path log = Files.createTempFile(dir, "metrics-token", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.environment().put("PATH", System.getenv("PATH"));
        builder.environment().put("HOME", dir.toString());
        Process process = builder.start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            return new ScriptRun(out, pki, -1, "did not finish in 90 s: " + Files.readString(log));
        }
        return new ScriptRun(out, pki, process.exitValue(), Files.readString(log));
    }

    /** One request through each policy; results do not matter, the series they leave do. */
    private static void sendTrafficRound() {
        get(dp.port(), "/plain/ok", Map.of());
        get(dp.port(), "/broken/x", Map.of());                             // 502, then 503 circuit_open
        get(dp.port(), "/limited/x", Map.of("x-user", "alice"));           // allowed once, then 429
        get(dp.port(), "/cached/item", Map.of("X-Test-Set-Cookie", "none")); // miss, then hits
        get(dp.port(), "/nowhere", Map.of());                               // 404, route (none)
    }

    private static String scrapeDataPlane() {
        HttpResponse<String> response = get(dp.adminPort(), "/metrics", Map.of());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static String scrapeControlPlane() {
        HttpResponse<String> response = cp.httpGet("/metrics"); // with a viewer token, as Prometheus in compose
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** deploy/prometheus/compose.yml with only its targets, credentials file, rule path and intervals changed. */
    private static String prometheusConfigForThisFleet() throws Exception {
        ScriptRun tokenScript = composeMetricsToken(); // the file compose's metrics-token service writes
        assertThat(tokenScript.exitCode()).as(tokenScript.output()).isZero();
        Path token = tokenScript.out().resolve("token");
        Map<String, Object> config = yaml(DEPLOY.resolve("prometheus/compose.yml"));
        map(config.get("global")).put("scrape_interval", "1s");
        map(config.get("global")).put("evaluation_interval", "1s");
        config.put("rule_files", List.of(DEPLOY.resolve("prometheus/rules").toString() + "/*.yml"));
        for (Object o : list(config.get("scrape_configs"))) {
            Map<String, Object> job = map(o);
            String component = JOB_COMPONENT.get((String) job.get("job_name"));
            int port = component.equals("data-plane") ? dp.adminPort() : cp.controlPlane().httpPort();
            Map<String, Object> first = map(list(job.get("static_configs")).getFirst());
            first.put("targets", List.of("127.0.0.1:" + port));
            job.put("static_configs", List.of(first)); // one data plane here, not one per region
            if (job.containsKey("authorization")) {
                map(job.get("authorization")).put("credentials_file", token.toString());
            }
        }
        return new Yaml().dump(config);
    }

    private static String grafanaToPromQl(String expression) {
        String promql = expression;
        for (var variable : GRAFANA_VARIABLES.entrySet()) {
            promql = promql.replace(variable.getKey(), variable.getValue());
        }
        if (promql.contains("$")) {
            throw new AssertionError("a Grafana variable this test does not know in " + expression);
        }
        return promql;
    }

    /** The prometheus server of Debian's package on a port of this test's range, TSDB in a temp directory. */
    private record Prometheus(Process process, int port, Path log) implements AutoCloseable {

        static Prometheus start(Path home, String config) throws IOException {
            Files.createDirectories(home);
            Path configFile = Files.writeString(home.resolve("prometheus.yml"), config);
            int port = freePortIn(17100, 17199);
            Path log = home.resolve("prometheus.log");
            Process process;
            try {
                process = new ProcessBuilder("prometheus", "--config.file=" + configFile,
                        "--storage.tsdb.path=" + home.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new AssertionError("cannot run prometheus: install the Debian package prometheus (.ci/run does)", e);
            }
            Prometheus prometheus = new Prometheus(process, port, log);
            Await.until("Prometheus ready on " + port, Duration.ofSeconds(30), () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("prometheus exited: " + prometheus.logTail());
                }
                try {
                    return get(port, "/-/ready", Map.of()).statusCode() == 200;
                } catch (UncheckedIOException notListeningYet) {
                    return false;
                }
            });
            return prometheus;
        }

        JsonNode api(String path) {
            try {
                return JSON.readTree(get(port, path, Map.of()).body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            } catch (IOException e) {
                return e.toString();
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    // --- small helpers -----------------------------------------------------------------------------

    private static HttpResponse<String> get(int port, String path, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        headers.forEach(request::header);
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A loopback port nothing listens on (bound, then released). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int freePortIn(int from, int to) {
        for (int port = from; port <= to; port++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException busy) {
                // taken: next
            }
        }
        throw new IllegalStateException("no free port in " + from + "-" + to);
    }

    /** Await.until, failing with {@code details} read at the deadline (what was still missing). */
    private static void awaitOrExplain(String what, Duration timeout, java.util.function.BooleanSupplier condition,
                                       java.util.function.Supplier<String> details) {
        try {
            Await.until(what, timeout, condition);
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + "\n" + details.get(), timedOut);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Path> files(Path directory, String suffix) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new AssertionError("missing " + directory);
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        // SnakeYAML rather than Jackson's YAML module: compose.yaml uses merge keys (<<: *anchor),
        // which SnakeYAML resolves and Jackson does not.
        return new Yaml().load(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? new LinkedHashMap<>() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }
}
