package io.gatehouse.controlplane.validate;

import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Http2Settings;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.config.v1.WeightedUpstream;
import io.gatehouse.proto.config.v1.WebSocketRoute;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rules for the client-side protocols: {@code settings.http2} (limits within safe ranges),
 * {@code routes[i].grpc} and {@code routes[i].websocket}. Every problem is added with its path.
 *
 * <ul>
 *   <li>gRPC routes relay over HTTP/2, so every upstream they can reach must be H2C or H2; they
 *       match gRPC paths ({@code /package.Service} prefix or {@code /package.Service/Method}), take
 *       POST only, and have no response cache, retries or path rewrite (a gRPC call is a stream: it
 *       cannot be stored or replayed, and its path names the method).</li>
 *   <li>WebSocket routes reach HTTP/1.1 upstreams (the upgrade is an HTTP/1.1 mechanism), have no
 *       response cache or retries (a tunnel has no response to store or request to replay), and
 *       their timeouts and connection limit stay in range.</li>
 *   <li>A route is gRPC or WebSocket, not both.</li>
 * </ul>
 */
final class EdgeProtocolRules {

    static final int MAX_CONCURRENT_STREAMS = 1000;
    static final int MIN_HEADER_LIST = 1024;
    static final int MAX_HEADER_LIST = 1024 * 1024;
    /** RFC 9113 §6.5.2: the initial window is at least the protocol default... */
    static final int MIN_WINDOW = 65_535;
    /** ... and we bound what one stream can make the gateway buffer. */
    static final int MAX_WINDOW = 16 * 1024 * 1024;
    /** RFC 9113 §6.5.2 SETTINGS_MAX_FRAME_SIZE range. */
    static final int MIN_FRAME = 16_384;
    static final int MAX_FRAME = 16_777_215;
    static final int MAX_RAPID_RESETS = 10_000;
    static final int MAX_CONTINUATIONS = 64;
    static final int MAX_EMPTY_FRAMES = 1000;
    static final int MAX_WEBSOCKET_CONNECTIONS = 1_000_000;
    /** {@code /package.Service} or {@code /package.Service/Method}: what a gRPC client sends as :path. */
    private static final Pattern GRPC_PATH = Pattern.compile("/[A-Za-z_][A-Za-z0-9_.]*(/[A-Za-z_][A-Za-z0-9_]*)?/?");

    private EdgeProtocolRules() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        if (config.getSettings().hasHttp2()) {
            checkHttp2("settings.http2", config.getSettings().getHttp2(), problems);
        }
        Map<String, Upstream> upstreams = new HashMap<>();
        config.getUpstreamsList().forEach(u -> upstreams.putIfAbsent(u.getName(), u));
        List<Route> routes = config.getRoutesList();
        for (int i = 0; i < routes.size(); i++) {
            Route route = routes.get(i);
            String path = "routes[" + i + "]";
            boolean grpc = route.hasGrpc() && route.getGrpc().getEnabled();
            boolean websocket = route.hasWebsocket() && route.getWebsocket().getEnabled();
            if (grpc && websocket) {
                problems.add(new ValidationProblem(path + ".websocket", "a route is gRPC or WebSocket, not both"));
            }
            if (grpc) {
                checkGrpc(path, route, upstreams, problems);
            }
            if (route.hasWebsocket()) {
                checkWebSocket(path, route, upstreams, problems);
            }
        }
    }

    private static void checkHttp2(String path, Http2Settings h2, List<ValidationProblem> problems) {
        range(path + ".maxConcurrentStreams", h2.getMaxConcurrentStreams(), 1, MAX_CONCURRENT_STREAMS, problems);
        range(path + ".maxHeaderListSize", h2.getMaxHeaderListSize(), MIN_HEADER_LIST, MAX_HEADER_LIST, problems);
        range(path + ".initialWindowSize", h2.getInitialWindowSize(), MIN_WINDOW, MAX_WINDOW, problems);
        range(path + ".maxFrameSize", h2.getMaxFrameSize(), MIN_FRAME, MAX_FRAME, problems);
        range(path + ".maxRapidResets", h2.getMaxRapidResets(), 1, MAX_RAPID_RESETS, problems);
        range(path + ".maxContinuationFrames", h2.getMaxContinuationFrames(), 1, MAX_CONTINUATIONS, problems);
        range(path + ".maxEmptyFrames", h2.getMaxEmptyFrames(), 1, MAX_EMPTY_FRAMES, problems);
        if (h2.hasRapidResetPeriod()) {
            duration(path + ".rapidResetPeriod", h2.getRapidResetPeriod(), Duration.ofSeconds(1), Duration.ofHours(1),
                    problems);
        }
    }

    private static void checkGrpc(String path, Route route, Map<String, Upstream> upstreams,
                                  List<ValidationProblem> problems) {
        for (String name : upstreamNames(route)) {
            Upstream upstream = upstreams.get(name);
            if (upstream != null && upstream.getProtocol() == UpstreamProtocol.HTTP1) {
                problems.add(new ValidationProblem(path + ".grpc", "upstream '" + name
                        + "' speaks HTTP/1.1; gRPC needs an upstream with protocol H2C or H2"));
            }
        }
        String matchPath = switch (route.getMatch().getPathCase()) {
            case PATH_EXACT -> route.getMatch().getPathExact();
            case PATH_PREFIX -> route.getMatch().getPathPrefix();
            default -> null;
        };
        if (matchPath == null) {
            problems.add(new ValidationProblem(path + ".match", "a gRPC route matches pathPrefix \"/package.Service\" "
                    + "or pathExact \"/package.Service/Method\""));
        } else if (!matchPath.equals("/") && !GRPC_PATH.matcher(matchPath).matches()) {
            problems.add(new ValidationProblem(path + ".match", "'" + matchPath
                    + "' is not a gRPC path (\"/package.Service\" or \"/package.Service/Method\")"));
        }
        for (HttpMethod method : route.getMatch().getMethodsList()) {
            if (method != HttpMethod.POST) {
                problems.add(new ValidationProblem(path + ".match.methods", "gRPC calls are POST; " + method
                        + " never matches"));
            }
        }
        notWith(path, "cache", route.hasCache(), "gRPC responses are streams and are not cached", problems);
        notWith(path, "retry", route.hasRetry(), "gRPC calls are streams and are not retried by the gateway",
                problems);
        notWith(path, "rewrite", route.hasRewrite(), "the path of a gRPC call names its method; it is not rewritten",
                problems);
    }

    private static void checkWebSocket(String path, Route route, Map<String, Upstream> upstreams,
                                       List<ValidationProblem> problems) {
        WebSocketRoute ws = route.getWebsocket();
        String wsPath = path + ".websocket";
        if (ws.hasIdleTimeout()) {
            duration(wsPath + ".idleTimeout", ws.getIdleTimeout(), Duration.ofSeconds(1), Duration.ofHours(24), problems);
        }
        if (ws.hasMaxLifetime()) {
            duration(wsPath + ".maxLifetime", ws.getMaxLifetime(), Duration.ofSeconds(1), Duration.ofDays(7), problems);
        }
        if (ws.getMaxConnections() > MAX_WEBSOCKET_CONNECTIONS) {
            problems.add(new ValidationProblem(wsPath + ".maxConnections", "must be 0 (default "
                    + io.gatehouse.config.ConfigDefaults.WEBSOCKET_MAX_CONNECTIONS + ") to " + MAX_WEBSOCKET_CONNECTIONS
                    + ", not " + Integer.toUnsignedString(ws.getMaxConnections())));
        }
        if (!ws.getEnabled()) {
            return;
        }
        for (String name : upstreamNames(route)) {
            Upstream upstream = upstreams.get(name);
            if (upstream != null && upstream.getProtocol() != UpstreamProtocol.HTTP1) {
                problems.add(new ValidationProblem(wsPath, "upstream '" + name + "' speaks " + upstream.getProtocol()
                        + "; WebSocket upgrades need an HTTP1 upstream"));
            }
        }
        notWith(path, "cache", route.hasCache(), "a WebSocket tunnel has no response to cache", problems);
        notWith(path, "retry", route.hasRetry(), "a WebSocket tunnel cannot be replayed", problems);
    }

    private static void notWith(String path, String field, boolean present, String why,
                                List<ValidationProblem> problems) {
        if (present) {
            problems.add(new ValidationProblem(path + "." + field, why + " (remove " + field + ")"));
        }
    }

    private static List<String> upstreamNames(Route route) {
        List<String> names = new ArrayList<>();
        if (!route.getUpstream().isEmpty()) {
            names.add(route.getUpstream());
        }
        for (WeightedUpstream weighted : route.getWeightedUpstreamsList()) {
            names.add(weighted.getUpstream());
        }
        return names;
    }

    /** 0 = the default; anything else within {@code min..max}. */
    private static void range(String path, int value, int min, int max, List<ValidationProblem> problems) {
        long unsigned = Integer.toUnsignedLong(value);
        if (unsigned != 0 && (unsigned < min || unsigned > max)) {
            problems.add(new ValidationProblem(path, "must be 0 (the default) or " + min + ".." + max + ", not "
                    + unsigned));
        }
    }

    private static void duration(String path, com.google.protobuf.Duration value, Duration min, Duration max,
                                 List<ValidationProblem> problems) {
        Duration d = Duration.ofSeconds(value.getSeconds(), value.getNanos());
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            problems.add(new ValidationProblem(path, "must be between " + min + " and " + max + ", not " + d));
        }
    }
}
