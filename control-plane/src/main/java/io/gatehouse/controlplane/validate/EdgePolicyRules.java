package io.gatehouse.controlplane.validate;

import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;
import io.gatehouse.config.Cidr;
import io.gatehouse.config.CidrSet;
import io.gatehouse.config.IpLiterals;
import io.gatehouse.config.Origins;
import io.gatehouse.config.UpstreamAddresses;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Validates the edge policies the data plane enforces besides authentication: rate limits, the
 * response cache (including which identity inputs a cache shared across identities must key on), IP
 * access lists, trusted proxies, CORS, and the upstream policy (SSRF guard for upstream targets).
 * Stateless.
 *
 * <p>Upstream targets: a host that is an IP literal in a link-local range (169.254.0.0/16,
 * fe80::/10, the cloud metadata addresses), 0.0.0.0/8 / unspecified, or multicast is always rejected.
 * Loopback (127.0.0.0/8, ::1, "localhost", "*.localhost") is rejected unless
 * {@code settings.upstreamPolicy.allowLoopback} is true, also when there is no upstream policy at all:
 * a gateway that may reach its own host's services (admin ports, sidecars, the control plane) is an
 * SSRF target, so that has to be an explicit choice. When {@code allowedHosts} or {@code allowedCidrs}
 * is non-empty, a target must match one. The data plane re-checks resolved addresses at connect time.
 */
final class EdgePolicyRules {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9\\-_.]{0,62}");
    /** RFC 9110 §5.1 field names (token). */
    private static final Pattern HEADER = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,64}");
    private static final Pattern CLAIM = Pattern.compile("[A-Za-z0-9_.:\\-]{1,64}");
    private static final Pattern HOST_PATTERN = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9\\-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9\\-]*[a-z0-9])?)*");
    private static final long MIN_PERIOD_MS = 1_000;
    private static final long MAX_PERIOD_MS = 86_400_000;
    private static final long MIN_OBJECT = 1024;
    private static final long MAX_OBJECT = 10L * 1024 * 1024;

    private EdgePolicyRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        GatewaySettings settings = config.getSettings();
        checkCidrs("settings.trustedProxies", settings.getTrustedProxiesList(), problems);
        checkAccess("settings.access", settings.getAccess(), problems);
        checkUpstreamPolicy(config, problems);
        Set<String> plans = new HashSet<>();
        for (Consumer consumer : config.getConsumersList()) {
            if (!consumer.getPlan().isEmpty()) {
                plans.add(consumer.getPlan());
            }
        }
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            String path = "routes[" + i + "]";
            checkAccess(path + ".access", route.getAccess(), problems);
            if (route.hasRateLimiting()) {
                checkRateLimits(path + ".rateLimiting", route, plans, problems);
            }
            if (route.hasCache()) {
                checkCache(path + ".cache", route, problems);
                checkSharedCache(path + ".cache", route, config, problems);
            }
            if (route.hasCors()) {
                checkCors(path + ".cors", route.getCors(), problems);
            }
        }
    }

    private static void checkRateLimits(String path, Route route, Set<String> plans, List<ValidationProblem> problems) {
        Set<String> names = new HashSet<>();
        for (int j = 0; j < route.getRateLimiting().getLimitsCount(); j++) {
            RateLimit limit = route.getRateLimiting().getLimits(j);
            String at = path + ".limits[" + j + "]";
            if (!NAME.matcher(limit.getName()).matches()) {
                problems.add(new ValidationProblem(at + ".name", limit.getName().isEmpty() ? "is required"
                        : "'" + limit.getName() + "' must match " + NAME.pattern()));
            } else if (!names.add(limit.getName())) {
                problems.add(new ValidationProblem(at + ".name", "duplicate limit name '" + limit.getName() + "' in this route"));
            }
            if (limit.getLimit() < 1) {
                problems.add(new ValidationProblem(at + ".limit", "must be >= 1"));
            }
            checkDuration(at + ".period", limit.hasPeriod() ? limit.getPeriod() : null, MIN_PERIOD_MS, MAX_PERIOD_MS, true, problems);
            if (limit.getBurst() != 0 && limit.getBurst() < limit.getLimit()) {
                problems.add(new ValidationProblem(at + ".burst", "must be >= limit (" + limit.getLimit() + ") or unset"));
            }
            if (limit.getFallbackLimit() > limit.getLimit() && limit.getLimit() > 0) {
                problems.add(new ValidationProblem(at + ".fallbackLimit", "must not exceed limit (" + limit.getLimit() + ")"));
            }
            RateLimitKey key = limit.getKey();
            switch (key.getSourceCase()) {
                case SOURCE_NOT_SET -> problems.add(new ValidationProblem(at + ".key",
                        "is required (clientIp, apiKey, consumer, tenant, jwtSubject, jwtClaim, header or route)"));
                case HEADER -> {
                    if (!HEADER.matcher(key.getHeader()).matches()) {
                        problems.add(new ValidationProblem(at + ".key.header", "'" + key.getHeader() + "' is not a valid header name"));
                    }
                }
                case JWT_CLAIM -> {
                    if (!CLAIM.matcher(key.getJwtClaim()).matches()) {
                        problems.add(new ValidationProblem(at + ".key.jwtClaim", "'" + key.getJwtClaim() + "' is not a valid claim name"));
                    }
                }
                default -> {
                }
            }
            boolean identityKey = switch (key.getSourceCase()) {
                case API_KEY, CONSUMER, TENANT, JWT_SUBJECT, JWT_CLAIM -> true;
                default -> false;
            };
            if ((identityKey || limit.getPlansCount() > 0) && !route.hasAuth()) {
                problems.add(new ValidationProblem(at + ".key", "an identity key or plan filter needs the route to have auth"));
            }
            for (int p = 0; p < limit.getPlansCount(); p++) {
                if (!plans.contains(limit.getPlans(p))) {
                    problems.add(new ValidationProblem(at + ".plans[" + p + "]", "unknown plan '" + limit.getPlans(p)
                            + "' (no consumer has it)"));
                }
            }
        }
    }

    private static void checkCache(String path, Route route, List<ValidationProblem> problems) {
        CachePolicy cache = route.getCache();
        checkDuration(path + ".ttl", cache.hasTtl() ? cache.getTtl() : null, MIN_PERIOD_MS, MAX_PERIOD_MS, true, problems);
        for (int k = 0; k < cache.getKeyHeadersCount(); k++) {
            if (!HEADER.matcher(cache.getKeyHeaders(k)).matches()) {
                problems.add(new ValidationProblem(path + ".keyHeaders[" + k + "]", "'" + cache.getKeyHeaders(k)
                        + "' is not a valid header name"));
            }
        }
        if (cache.getMaxObjectBytes() != 0 && (cache.getMaxObjectBytes() < MIN_OBJECT || cache.getMaxObjectBytes() > MAX_OBJECT)) {
            problems.add(new ValidationProblem(path + ".maxObjectBytes", "must be 1024..10485760 (1 KiB..10 MiB)"));
        }
        List<HttpMethod> methods = route.getMatch().getMethodsList();
        if (!methods.isEmpty() && !methods.contains(HttpMethod.GET) && !methods.contains(HttpMethod.HEAD)) {
            problems.add(new ValidationProblem(path, "only GET and HEAD responses are cached, and this route matches neither"));
        }
    }

    /**
     * {@code shareAcrossIdentities} makes the key exactly the request plus {@code keyHeaders}, so every
     * identity-derived input the upstream receives must be one of those dimensions: each header a
     * provider of the route maps a claim onto must be a key header, and the token itself must not be
     * forwarded (the upstream could read any claim from it).
     */
    private static void checkSharedCache(String path, Route route, GatewayConfig config,
                                         List<ValidationProblem> problems) {
        CachePolicy cache = route.getCache();
        if (!cache.getShareAcrossIdentities()) {
            return;
        }
        String at = path + ".shareAcrossIdentities";
        if (!route.hasAuth()) {
            problems.add(new ValidationProblem(at, "applies only to routes with auth (without auth every caller"
                    + " shares the entries already)"));
            return;
        }
        Set<String> keyHeaders = new HashSet<>();
        cache.getKeyHeadersList().forEach(h -> keyHeaders.add(h.toLowerCase(Locale.ROOT)));
        for (JwtProvider provider : config.getJwtProvidersList()) {
            if (!route.getAuth().getJwtProvidersList().contains(provider.getName())) {
                continue;
            }
            if (!provider.getStripToken()) {
                problems.add(new ValidationProblem(at, "JWT provider '" + provider.getName() + "' forwards the token"
                        + " upstream (stripToken is false), so responses may differ per caller: set stripToken"
                        + " or stop sharing"));
            }
            new TreeMap<>(provider.getClaimsToHeadersMap()).forEach((claim, header) -> {
                if (!keyHeaders.contains(header.toLowerCase(Locale.ROOT))) {
                    problems.add(new ValidationProblem(at, "JWT provider '" + provider.getName() + "' forwards claim '"
                            + claim + "' upstream in header '" + header + "', which is not in keyHeaders: add it"
                            + " (one entry per value) or stop forwarding it"));
                }
            });
        }
    }

    private static void checkCors(String path, CorsPolicy cors, List<ValidationProblem> problems) {
        if (cors.getAllowOriginsCount() == 0) {
            problems.add(new ValidationProblem(path + ".allowOrigins", "must list at least one origin (or \"*\")"));
        }
        for (int o = 0; o < cors.getAllowOriginsCount(); o++) {
            String origin = cors.getAllowOrigins(o);
            if (origin.equals("*")) {
                if (cors.getAllowCredentials()) {
                    problems.add(new ValidationProblem(path + ".allowOrigins[" + o + "]",
                            "\"*\" cannot be used with allowCredentials (list the origins)"));
                }
            } else if (!Origins.isOrigin(origin)) {
                problems.add(new ValidationProblem(path + ".allowOrigins[" + o + "]",
                        "'" + origin + "' is not an origin (scheme://host[:port], no path)"));
            }
        }
        checkHeaderNames(path + ".allowHeaders", cors.getAllowHeadersList(), problems);
        checkHeaderNames(path + ".exposeHeaders", cors.getExposeHeadersList(), problems);
        if (cors.hasMaxAge()) {
            checkDuration(path + ".maxAge", cors.getMaxAge(), 0, MAX_PERIOD_MS, false, problems);
        }
    }

    private static void checkHeaderNames(String path, List<String> names, List<ValidationProblem> problems) {
        for (int h = 0; h < names.size(); h++) {
            if (!HEADER.matcher(names.get(h)).matches()) {
                problems.add(new ValidationProblem(path + "[" + h + "]", "'" + names.get(h) + "' is not a valid header name"));
            }
        }
    }

    private static void checkAccess(String path, AccessControl access, List<ValidationProblem> problems) {
        checkCidrs(path + ".allow", access.getAllowList(), problems);
        checkCidrs(path + ".deny", access.getDenyList(), problems);
    }

    private static void checkCidrs(String path, List<String> cidrs, List<ValidationProblem> problems) {
        for (int c = 0; c < cidrs.size(); c++) {
            if (!isCidr(cidrs.get(c))) {
                problems.add(new ValidationProblem(path + "[" + c + "]", "'" + cidrs.get(c)
                        + "' is not a CIDR block or IP address (e.g. 10.0.0.0/8, 2001:db8::/32)"));
            }
        }
    }

    private static boolean isCidr(String text) {
        try {
            Cidr.parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void checkUpstreamPolicy(GatewayConfig config, List<ValidationProblem> problems) {
        GatewaySettings settings = config.getSettings();
        UpstreamPolicy policy = settings.getUpstreamPolicy();
        String path = "settings.upstreamPolicy";
        checkCidrs(path + ".allowedCidrs", policy.getAllowedCidrsList(), problems);
        for (int h = 0; h < policy.getAllowedHostsCount(); h++) {
            if (!HOST_PATTERN.matcher(policy.getAllowedHosts(h).toLowerCase(Locale.ROOT)).matches()) {
                problems.add(new ValidationProblem(path + ".allowedHosts[" + h + "]", "'" + policy.getAllowedHosts(h)
                        + "' is not a host name or *.suffix pattern"));
            }
        }
        boolean loopbackForbidden = !policy.getAllowLoopback();
        // the malformed entries were reported above; match against the others
        CidrSet allowed = CidrSet.parse(policy.getAllowedCidrsList().stream().filter(EdgePolicyRules::isCidr).toList());
        for (int u = 0; u < config.getUpstreamsCount(); u++) {
            Upstream upstream = config.getUpstreams(u);
            for (int t = 0; t < upstream.getTargetsCount(); t++) {
                String at = "upstreams[" + u + "].targets[" + t + "].url";
                String host = host(upstream.getTargets(t).getUrl());
                if (host == null) {
                    continue; // TargetUrlRule reports it
                }
                // Numeric host names ("2130706433", "0x7f000001", "127.1") are addresses to every resolver.
                Optional<InetAddress> ip = IpLiterals.parse(host).or(() -> IpLiterals.parseNumericHost(host));
                String spelled = ip.isPresent() && !ip.get().getHostAddress().equals(host)
                        ? host + " (" + ip.get().getHostAddress() + ")" : host;
                if (ip.isPresent() && UpstreamAddresses.neverAllowed(ip.get())) {
                    problems.add(new ValidationProblem(at, "target address " + spelled
                            + " is link-local, cloud metadata, unspecified or multicast: never allowed"));
                    continue;
                }
                boolean loopback = ip.map(UpstreamAddresses::isLoopback).orElse(false)
                        || host.equals("localhost") || host.endsWith(".localhost") || host.equals("localhost.")
                        || host.endsWith(".localhost.");
                if (loopback && loopbackForbidden) {
                    problems.add(new ValidationProblem(at, "loopback target " + spelled
                            + " is not allowed unless settings.upstreamPolicy.allowLoopback is true"));
                    continue;
                }
                if (!policy.getAllowedHostsList().isEmpty() || !allowed.isEmpty()) {
                    boolean ok = ip.isPresent() ? allowed.contains(ip.get())
                            : hostListed(policy.getAllowedHostsList(), host);
                    if (!ok) {
                        problems.add(new ValidationProblem(at, "target " + host
                                + " is outside settings.upstreamPolicy.allowedHosts / allowedCidrs"));
                    }
                }
            }
        }
    }

    static boolean hostListed(List<String> patterns, String host) {
        for (String pattern : patterns) {
            String p = pattern.toLowerCase(Locale.ROOT);
            if (p.startsWith("*.") ? host.endsWith(p.substring(1)) : host.equals(p)) {
                return true;
            }
        }
        return false;
    }

    private static String host(String url) {
        try {
            String host = new URI(url).getHost();
            if (host == null) {
                return null;
            }
            host = host.toLowerCase(Locale.ROOT);
            return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static void checkDuration(String path, Duration duration, long minMillis, long maxMillis, boolean required,
                                      List<ValidationProblem> problems) {
        if (duration == null) {
            if (required) {
                problems.add(new ValidationProblem(path, "is required"));
            }
            return;
        }
        long millis = Durations.toMillis(duration);
        if (millis < minMillis || millis > maxMillis || duration.getNanos() % 1_000_000 != 0) {
            problems.add(new ValidationProblem(path, "must be " + (minMillis == 0 ? "0s" : minMillis / 1000 + "s")
                    + "..1d in whole milliseconds"));
        }
    }
}
