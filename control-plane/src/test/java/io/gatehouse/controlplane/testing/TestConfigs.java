package io.gatehouse.controlplane.testing;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.config.ConfigFormatException;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;

/**
 * Small valid configs for tests. Test upstreams listen on loopback, which gateways refuse unless
 * {@code settings.upstreamPolicy.allowLoopback} is true: the builders here set it ({@link #allowLoopback}).
 */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** One upstream {@code name} with one target {@code url}, and one route {@code routeId} on {@code pathPrefix}. */
    public static GatewayConfig singleRoute(String routeId, String pathPrefix, String upstream, String url) {
        return allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName(upstream).addTargets(Target.newBuilder().setUrl(url)))
                .addRoutes(Route.newBuilder().setId(routeId).setUpstream(upstream)
                        .setMatch(RouteMatch.newBuilder().setPathPrefix(pathPrefix)))
                .build());
    }

    /** {@code config} with {@code settings.upstreamPolicy.allowLoopback: true}, everything else kept. */
    public static GatewayConfig allowLoopback(GatewayConfig config) {
        GatewaySettings settings = config.getSettings();
        return config.toBuilder().setSettings(settings.toBuilder()
                .setUpstreamPolicy(settings.getUpstreamPolicy().toBuilder().setAllowLoopback(true))).build();
    }


    /** A valid config whose content differs for every {@code n} (route "r&lt;n&gt;" on "/v&lt;n&gt;"). */
    public static GatewayConfig numbered(int n) {
        return singleRoute("r" + n, "/v" + n, "api", "http://127.0.0.1:" + (10000 + n));
    }

    /** Parses YAML, failing the test on a syntax error. */
    public static GatewayConfig yaml(String yaml) {
        try {
            return ConfigDocuments.fromYaml(yaml);
        } catch (ConfigFormatException e) {
            throw new AssertionError("test YAML does not parse: " + e.getMessage(), e);
        }
    }
}
