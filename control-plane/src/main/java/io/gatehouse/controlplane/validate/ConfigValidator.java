package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.Upstream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a whole {@link GatewayConfig} before it may be stored and returns <em>every</em> problem,
 * each with a path into the document ({@code routes[3].upstream},
 * {@code upstreams[0].targets[1].url}). Paths use the YAML keys (lowerCamelCase). An empty result
 * means the config is valid. Stateless and thread-safe.
 */
public final class ConfigValidator {

    /** Names of upstreams and ids of routes. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9\\-_.]{0,62}");
    static final int MAX_WEIGHT = 1000;

    /**
     * Every rule, plus the secret references against {@code secrets} (they must exist and hold what
     * their field needs): what apply and rollback run.
     */
    public List<ValidationProblem> validate(GatewayConfig config, SecretLookup secrets) {
        List<ValidationProblem> problems = new ArrayList<>(validate(config));
        checkSecrets(config, secrets, problems);
        return problems;
    }

    /** Only the secret references of {@code config} against {@code secrets}. */
    public static void checkSecrets(GatewayConfig config, SecretLookup secrets, List<ValidationProblem> problems) {
        SecretRules.check(config, secrets, problems);
        CertificateRules.checkMaterial(config, secrets, java.time.Clock.systemUTC(), problems, new ArrayList<>());
    }

    /**
     * What does not stop an apply but should be acted on soon: HTTPS certificates expiring within 14
     * days. Empty when there is nothing to say.
     */
    public static List<ValidationProblem> warnings(GatewayConfig config, SecretLookup secrets) {
        List<ValidationProblem> warnings = new ArrayList<>();
        CertificateRules.checkMaterial(config, secrets, java.time.Clock.systemUTC(), new ArrayList<>(), warnings);
        return List.copyOf(warnings);
    }

    /** Every rule that needs the config alone (secret references are not looked up). */
    public List<ValidationProblem> validate(GatewayConfig config) {
        List<ValidationProblem> problems = new ArrayList<>();
        SupportedFieldsRule.check(config, problems);
        Map<String, Integer> upstreamIndex = checkUpstreams(config.getUpstreamsList(), problems);
        checkRoutes(config.getRoutesList(), upstreamIndex, problems);
        AuthRules.check(config, problems);
        EdgePolicyRules.check(config, problems); // rate limits, cache, access, CORS, upstream policy (SSRF)
        UpstreamRules.check(config, problems); // splits, balancing, health, outliers, pools, protocol, TLS
        LoggingRules.check(config, problems); // access log sampling
        RequestHygieneRules.check(config, problems); // path normalization, identity and underscore headers
        ResilienceRules.check(config, problems); // idle timeouts, retries, breakers, limits, header size
        CertificateRules.check(config, problems); // HTTPS certificates: names, hosts, secret names, settings.tls
        HttpsRules.check(config, problems); // routes[].https: redirect, HSTS (auth.clientCert: AuthRules)
        EdgeProtocolRules.check(config, problems); // settings.http2 limits, gRPC and WebSocket routes
        RolloutRules.check(config, problems); // settings.rollout: default plan, gate thresholds, shadow ratio
        if (config.hasDefaults() && config.getDefaults().hasTimeouts()) {
            checkTimeouts("defaults.timeouts", config.getDefaults().getTimeouts(), problems);
        }
        return List.copyOf(problems);
    }

    private static Map<String, Integer> checkUpstreams(List<Upstream> upstreams, List<ValidationProblem> problems) {
        Map<String, Integer> firstByName = new HashMap<>();
        for (int i = 0; i < upstreams.size(); i++) {
            Upstream upstream = upstreams.get(i);
            String path = "upstreams[" + i + "]";
            checkName(path + ".name", upstream.getName(), "upstream name", "upstreams", firstByName, i, problems);
            if (upstream.getTargetsCount() == 0) {
                problems.add(new ValidationProblem(path + ".targets", "must have at least one target"));
            }
            for (int t = 0; t < upstream.getTargetsCount(); t++) {
                checkTarget(path + ".targets[" + t + "]", upstream.getTargets(t), problems);
            }
        }
        return firstByName;
    }

    private static void checkTarget(String path, Target target, List<ValidationProblem> problems) {
        for (String reason : TargetUrlRule.check(target.getUrl())) {
            problems.add(new ValidationProblem(path + ".url", reason));
        }
        if (target.getWeight() > MAX_WEIGHT) {
            problems.add(new ValidationProblem(path + ".weight",
                    "must be 1.." + MAX_WEIGHT + " (0 means 1), not " + Integer.toUnsignedString(target.getWeight())));
        }
    }

    private static void checkRoutes(List<Route> routes, Map<String, Integer> upstreamIndex,
                                    List<ValidationProblem> problems) {
        Map<String, Integer> firstById = new HashMap<>();
        RouteMatchRules matchRules = new RouteMatchRules(routes);
        for (int i = 0; i < routes.size(); i++) {
            Route route = routes.get(i);
            String path = "routes[" + i + "]";
            checkName(path + ".id", route.getId(), "route id", "routes", firstById, i, problems);
            if (route.getUpstream().isEmpty() && route.getWeightedUpstreamsCount() == 0) { // splits: UpstreamRules
                problems.add(new ValidationProblem(path + ".upstream", "is required"));
            } else if (!route.getUpstream().isEmpty() && !upstreamIndex.containsKey(route.getUpstream())) {
                problems.add(new ValidationProblem(path + ".upstream",
                        "unknown upstream '" + route.getUpstream() + "'"));
            }
            matchRules.check(i, problems); // match, conflicts, rewrite, header transforms
            if (route.hasTimeouts()) {
                checkTimeouts(path + ".timeouts", route.getTimeouts(), problems);
            }
        }
    }

    private static void checkTimeouts(String path, Timeouts timeouts, List<ValidationProblem> problems) {
        if (timeouts.hasConnect()) {
            TimeoutRule.check(timeouts.getConnect(), TimeoutRule.MAX_CONNECT)
                    .ifPresent(reason -> problems.add(new ValidationProblem(path + ".connect", reason)));
        }
        if (timeouts.hasRequest()) {
            TimeoutRule.check(timeouts.getRequest(), TimeoutRule.MAX_REQUEST)
                    .ifPresent(reason -> problems.add(new ValidationProblem(path + ".request", reason)));
        }
    }

    private static void checkName(String path, String name, String what, String listName,
                                  Map<String, Integer> firstByName, int index, List<ValidationProblem> problems) {
        if (name.isEmpty()) {
            problems.add(new ValidationProblem(path, "is required"));
            return;
        }
        if (!NAME.matcher(name).matches()) {
            problems.add(new ValidationProblem(path, what + " '" + name
                    + "' must match [a-z0-9][a-z0-9-_.]{0,62} (lower case, at most 63 characters)"));
        }
        Integer earlier = firstByName.putIfAbsent(name, index);
        if (earlier != null) {
            problems.add(new ValidationProblem(path, "duplicate " + what + " '" + name + "' (also "
                    + listName + "[" + earlier + "])"));
        }
    }
}
