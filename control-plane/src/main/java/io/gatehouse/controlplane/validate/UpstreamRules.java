package io.gatehouse.controlplane.validate;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.Duration;
import io.gatehouse.proto.config.v1.ConnectionPool;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HashOn;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.LoadBalancing;
import io.gatehouse.proto.config.v1.LoadBalancingPolicy;
import io.gatehouse.proto.config.v1.OutlierDetection;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.config.v1.UpstreamTls;
import io.gatehouse.proto.config.v1.WeightedUpstream;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rules for traffic to upstreams: weighted splits on routes, load balancing, active health checks,
 * outlier detection, connection pools, protocol and TLS. Adds every problem with its path
 * ({@code upstreams[1].healthCheck.interval}, {@code routes[0].weightedUpstreams[2].weight}).
 * Stateless.
 */
final class UpstreamRules {

    static final int MAX_SPLIT_WEIGHT = 1000;
    static final java.time.Duration MIN_CHECK_INTERVAL = java.time.Duration.ofMillis(100);
    static final java.time.Duration MAX_CHECK_INTERVAL = java.time.Duration.ofMinutes(5);
    static final java.time.Duration MAX_EJECTION_TIME = java.time.Duration.ofHours(24);
    static final java.time.Duration MAX_IDLE_TIMEOUT = java.time.Duration.ofHours(1);
    static final int MAX_THRESHOLD = 100;
    static final int MAX_OUTLIER_THRESHOLD = 1000;
    static final int MAX_CONNECTIONS = 100_000;
    static final int MAX_PENDING = 1_000_000;
    /** RFC 9110 §5.6.2 token: header names; cookie names are tokens too (RFC 6265 §4.1.1). */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    /** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** All-numeric last label: an IPv4 literal (or shaped like one), never a DNS name. */
    private static final Pattern IPV4_LIKE = Pattern.compile("(.*\\.)?[0-9]+");

    private UpstreamRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        Set<String> names = new HashSet<>();
        for (int u = 0; u < config.getUpstreamsCount(); u++) {
            Upstream upstream = config.getUpstreams(u);
            names.add(upstream.getName());
            String path = "upstreams[" + u + "]";
            if (upstream.hasLoadBalancing()) {
                checkLoadBalancing(path + ".loadBalancing", upstream.getLoadBalancing(), problems);
            }
            if (upstream.hasHealthCheck()) {
                checkHealthCheck(path + ".healthCheck", upstream.getHealthCheck(), problems);
            }
            if (upstream.hasOutlierDetection()) {
                checkOutlier(path + ".outlierDetection", upstream.getOutlierDetection(), problems);
            }
            if (upstream.hasPool()) {
                checkPool(path + ".pool", upstream, problems);
            }
            checkProtocol(path, upstream, problems);
            if (upstream.hasTls()) {
                checkTls(path + ".tls", upstream, problems);
            }
        }
        for (int r = 0; r < config.getRoutesCount(); r++) {
            checkSplit("routes[" + r + "]", config.getRoutes(r), names, problems);
        }
    }

    private static void checkSplit(String path, Route route, Set<String> upstreams, List<ValidationProblem> problems) {
        if (route.getWeightedUpstreamsCount() == 0) {
            if (route.getStickySplit()) {
                problems.add(new ValidationProblem(path + ".stickySplit", "only applies with weightedUpstreams"));
            }
            return;
        }
        if (!route.getUpstream().isEmpty()) {
            problems.add(new ValidationProblem(path + ".weightedUpstreams",
                    "set either upstream or weightedUpstreams, not both"));
        }
        long sum = 0;
        Set<String> seen = new HashSet<>();
        for (int w = 0; w < route.getWeightedUpstreamsCount(); w++) {
            WeightedUpstream weighted = route.getWeightedUpstreams(w);
            String entry = path + ".weightedUpstreams[" + w + "]";
            if (weighted.getUpstream().isEmpty()) {
                problems.add(new ValidationProblem(entry + ".upstream", "is required"));
            } else if (!upstreams.contains(weighted.getUpstream())) {
                problems.add(new ValidationProblem(entry + ".upstream", "unknown upstream '" + weighted.getUpstream() + "'"));
            } else if (!seen.add(weighted.getUpstream())) {
                problems.add(new ValidationProblem(entry + ".upstream",
                        "upstream '" + weighted.getUpstream() + "' appears twice in the split"));
            }
            if (weighted.getWeight() > MAX_SPLIT_WEIGHT) {
                problems.add(new ValidationProblem(entry + ".weight", "must be 0.." + MAX_SPLIT_WEIGHT + ", not "
                        + Integer.toUnsignedString(weighted.getWeight())));
            } else {
                sum += weighted.getWeight();
            }
        }
        if (sum == 0) {
            problems.add(new ValidationProblem(path + ".weightedUpstreams", "weights must add up to more than 0"));
        }
    }

    private static void checkLoadBalancing(String path, LoadBalancing lb, List<ValidationProblem> problems) {
        if (lb.getPolicy() == LoadBalancingPolicy.UNRECOGNIZED) {
            problems.add(new ValidationProblem(path + ".policy", "unknown policy"));
        }
        HashOn on = lb.getHashOn();
        if (lb.getPolicy() != LoadBalancingPolicy.CONSISTENT_HASH) {
            if (lb.hasHashOn()) {
                problems.add(new ValidationProblem(path + ".hashOn", "only applies to policy CONSISTENT_HASH"));
            }
            return;
        }
        switch (on.getSourceCase()) {
            case HEADER -> {
                if (!TOKEN.matcher(on.getHeader()).matches()) {
                    problems.add(new ValidationProblem(path + ".hashOn.header",
                            "'" + on.getHeader() + "' is not a valid header name"));
                }
            }
            case COOKIE -> {
                if (!TOKEN.matcher(on.getCookie()).matches()) {
                    problems.add(new ValidationProblem(path + ".hashOn.cookie",
                            "'" + on.getCookie() + "' is not a valid cookie name"));
                }
            }
            case CLIENT_IP -> {
                if (!on.getClientIp()) {
                    problems.add(new ValidationProblem(path + ".hashOn.clientIp", "must be true when set"));
                }
            }
            case SOURCE_NOT_SET -> problems.add(new ValidationProblem(path + ".hashOn",
                    "CONSISTENT_HASH needs hashOn: a header, a cookie or clientIp: true"));
        }
    }

    private static void checkHealthCheck(String path, HealthCheck check, List<ValidationProblem> problems) {
        String p = check.getPath();
        if (p.isEmpty()) {
            problems.add(new ValidationProblem(path + ".path", "is required"));
        } else if (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            problems.add(new ValidationProblem(path + ".path", "must start with '/' and contain no spaces or controls"));
        }
        java.time.Duration interval = ConfigDefaults.HEALTH_CHECK_INTERVAL;
        if (check.hasInterval()) {
            interval = duration(check.getInterval());
            if (interval.compareTo(MIN_CHECK_INTERVAL) < 0 || interval.compareTo(MAX_CHECK_INTERVAL) > 0) {
                problems.add(new ValidationProblem(path + ".interval", "must be 100ms..5m, not " + show(interval)));
            }
        }
        java.time.Duration timeout = ConfigDefaults.HEALTH_CHECK_TIMEOUT;
        if (check.hasTimeout()) {
            timeout = duration(check.getTimeout());
            if (timeout.compareTo(java.time.Duration.ofMillis(1)) < 0) {
                problems.add(new ValidationProblem(path + ".timeout", "must be at least 1ms, not " + show(timeout)));
            }
        }
        if (timeout.compareTo(interval) >= 0) {
            problems.add(new ValidationProblem(path + ".timeout", "must be below the interval (" + show(interval)
                    + "), not " + show(timeout)));
        }
        threshold(path + ".healthyThreshold", check.getHealthyThreshold(), MAX_THRESHOLD, problems);
        threshold(path + ".unhealthyThreshold", check.getUnhealthyThreshold(), MAX_THRESHOLD, problems);
    }

    private static void checkOutlier(String path, OutlierDetection outlier, List<ValidationProblem> problems) {
        threshold(path + ".consecutive5xx", outlier.getConsecutive5Xx(), MAX_OUTLIER_THRESHOLD, problems);
        threshold(path + ".consecutiveGatewayFailures", outlier.getConsecutiveGatewayFailures(), MAX_OUTLIER_THRESHOLD,
                problems);
        java.time.Duration base = ConfigDefaults.BASE_EJECTION_TIME;
        if (outlier.hasBaseEjectionTime()) {
            base = duration(outlier.getBaseEjectionTime());
            ejectionTime(path + ".baseEjectionTime", base, problems);
        }
        if (outlier.hasMaxEjectionTime()) {
            java.time.Duration max = duration(outlier.getMaxEjectionTime());
            ejectionTime(path + ".maxEjectionTime", max, problems);
            if (max.compareTo(base) < 0) {
                problems.add(new ValidationProblem(path + ".maxEjectionTime", "must not be below baseEjectionTime ("
                        + show(base) + "), not " + show(max)));
            }
        } else if (base.compareTo(ConfigDefaults.MAX_EJECTION_TIME) > 0) {
            problems.add(new ValidationProblem(path + ".baseEjectionTime",
                    "is above the default maxEjectionTime (5m); set maxEjectionTime too"));
        }
        if (outlier.getMaxEjectionPercent() > 100) {
            problems.add(new ValidationProblem(path + ".maxEjectionPercent", "must be 0..100, not "
                    + Integer.toUnsignedString(outlier.getMaxEjectionPercent())));
        }
    }

    private static void ejectionTime(String path, java.time.Duration time, List<ValidationProblem> problems) {
        if (time.compareTo(java.time.Duration.ofMillis(1)) < 0 || time.compareTo(MAX_EJECTION_TIME) > 0) {
            problems.add(new ValidationProblem(path, "must be 1ms..24h, not " + show(time)));
        }
    }

    private static void checkPool(String path, Upstream upstream, List<ValidationProblem> problems) {
        ConnectionPool pool = upstream.getPool();
        if (Integer.toUnsignedLong(pool.getMaxConnections()) > MAX_CONNECTIONS) {
            problems.add(new ValidationProblem(path + ".maxConnections", "must be 1.." + MAX_CONNECTIONS
                    + " (0 = " + ConfigDefaults.POOL_MAX_CONNECTIONS + "), not " + Integer.toUnsignedString(pool.getMaxConnections())));
        }
        if (Integer.toUnsignedLong(pool.getMaxPending()) > MAX_PENDING) {
            problems.add(new ValidationProblem(path + ".maxPending", "must be 1.." + MAX_PENDING
                    + " (0 = " + ConfigDefaults.POOL_MAX_PENDING + "), not " + Integer.toUnsignedString(pool.getMaxPending())));
        }
        if (pool.hasIdleTimeout()) {
            java.time.Duration idle = duration(pool.getIdleTimeout());
            if (idle.compareTo(java.time.Duration.ofSeconds(1)) < 0 || idle.compareTo(MAX_IDLE_TIMEOUT) > 0) {
                problems.add(new ValidationProblem(path + ".idleTimeout", "must be 1s..1h, not " + show(idle)));
            }
            if (upstream.getProtocol() == UpstreamProtocol.H2 || upstream.getProtocol() == UpstreamProtocol.H2C) {
                // HTTP/2 connections are multiplexed in Helidon's own cache, which has no idle timeout.
                problems.add(new ValidationProblem(path + ".idleTimeout", "applies to HTTP1 upstreams only, not "
                        + upstream.getProtocol()));
            }
        }
    }

    private static void checkProtocol(String path, Upstream upstream, List<ValidationProblem> problems) {
        UpstreamProtocol protocol = upstream.getProtocol();
        if (protocol == UpstreamProtocol.UNRECOGNIZED) {
            problems.add(new ValidationProblem(path + ".protocol", "unknown protocol"));
            return;
        }
        if (protocol == UpstreamProtocol.HTTP1) {
            return;
        }
        String wanted = protocol == UpstreamProtocol.H2 ? "https" : "http";
        for (int t = 0; t < upstream.getTargetsCount(); t++) {
            String scheme = scheme(upstream.getTargets(t));
            if (!scheme.isEmpty() && !scheme.equals(wanted)) {
                problems.add(new ValidationProblem(path + ".targets[" + t + "].url", "protocol " + protocol
                        + " needs " + wanted + " targets" + (protocol == UpstreamProtocol.H2
                        ? " (h2 is negotiated over TLS)" : " (h2c is cleartext; use H2 for https)")));
            }
        }
    }

    private static void checkTls(String path, Upstream upstream, List<ValidationProblem> problems) {
        UpstreamTls tls = upstream.getTls();
        if (!tls.getCaCertificatesPem().isEmpty() && !tls.getCaFile().isEmpty()) {
            problems.add(new ValidationProblem(path + ".caFile", "set either caCertificatesPem or caFile, not both"));
        }
        if (!tls.getCaCertificatesPem().isEmpty()) {
            parsePem(tls.getCaCertificatesPem()).ifPresent(reason ->
                    problems.add(new ValidationProblem(path + ".caCertificatesPem", reason)));
        }
        if (!tls.getCaFile().isEmpty()) {
            boolean absolute;
            try {
                absolute = Path.of(tls.getCaFile()).isAbsolute();
            } catch (RuntimeException e) {
                absolute = false;
            }
            if (!absolute) {
                problems.add(new ValidationProblem(path + ".caFile", "must be an absolute path on the data plane hosts, not '"
                        + tls.getCaFile() + "'"));
            }
        }
        if (!tls.getServerName().isEmpty() && !HOST_NAME.matcher(tls.getServerName()).matches()) {
            problems.add(new ValidationProblem(path + ".serverName", "'" + tls.getServerName()
                    + "' is not a valid host name"));
        } else if (IPV4_LIKE.matcher(tls.getServerName()).matches()) {
            problems.add(new ValidationProblem(path + ".serverName", "'" + tls.getServerName()
                    + "' is an IP address; SNI carries host names only (RFC 6066 §3)"));
        }
        boolean anyHttps = upstream.getTargetsList().stream().anyMatch(t -> scheme(t).equals("https"));
        if (!anyHttps) {
            problems.add(new ValidationProblem(path, "applies only to https targets and this upstream has none"));
        }
    }

    private static java.util.Optional<String> parsePem(String pem) {
        try {
            var certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            return certificates.isEmpty() ? java.util.Optional.of("contains no certificate")
                    : java.util.Optional.empty();
        } catch (CertificateException | RuntimeException e) {
            return java.util.Optional.of("is not valid PEM X.509 certificates: " + e.getMessage());
        }
    }

    private static void threshold(String path, int value, int max, List<ValidationProblem> problems) {
        if (Integer.toUnsignedLong(value) > max) {
            problems.add(new ValidationProblem(path, "must be 1.." + max + " (0 = default), not "
                    + Integer.toUnsignedString(value)));
        }
    }

    private static String scheme(Target target) {
        int colon = target.getUrl().indexOf("://");
        return colon < 0 ? "" : target.getUrl().substring(0, colon).toLowerCase(Locale.ROOT);
    }

    private static java.time.Duration duration(Duration d) {
        try {
            return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
        } catch (ArithmeticException e) {
            return java.time.Duration.ofSeconds(Long.MAX_VALUE / 2);
        }
    }

    private static String show(java.time.Duration d) {
        if (d.isNegative()) {
            return "a negative duration";
        }
        if (d.getNano() % 1_000_000 == 0 && d.getSeconds() < 1_000_000) {
            return d.getNano() == 0 ? d.getSeconds() + "s" : d.toMillis() + "ms";
        }
        return d.getNano() == 0 ? d.getSeconds() + "s" : d.getSeconds() + "." + String.format("%09d", d.getNano()) + "s";
    }
}
