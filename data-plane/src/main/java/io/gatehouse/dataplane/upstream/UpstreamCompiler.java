package io.gatehouse.dataplane.upstream;

import io.gatehouse.config.ConfigDefaults;
import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.ConnectionPool;
import io.gatehouse.proto.config.v1.HashOn;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.OutlierDetection;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.gatehouse.proto.config.v1.UpstreamTls;

import javax.net.ssl.SNIHostName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiles the upstreams of one snapshot against the data plane's {@link UpstreamRuntime}: targets
 * get their long-lived health state, settings are resolved with their defaults. Call
 * {@link #commit()} once the whole snapshot compiled. One instance per compile; not thread-safe.
 */
public final class UpstreamCompiler {


    private final UpstreamRuntime runtime;
    private final AddressRules addresses;
    private final List<HealthChecker.Key> targets = new ArrayList<>();
    private final Map<HealthChecker.Key, HealthCheckSpec> checks = new HashMap<>();

    /** @param addresses the snapshot's upstream address rules, which health checks obey too */
    public UpstreamCompiler(UpstreamRuntime runtime, AddressRules addresses) {
        this.runtime = runtime;
        this.addresses = addresses;
    }

    /**
     * @throws IllegalArgumentException naming the offending field (relative to the upstream, e.g.
     *                                  "targets[1].url: ...") when the upstream cannot be run
     */
    public UpstreamCluster compile(Upstream upstream) {
        String name = upstream.getName();
        ClientSettings client = clientSettings(upstream);
        Optional<HealthCheckSpec> check = upstream.hasHealthCheck()
                ? Optional.of(healthCheck(upstream.getHealthCheck(), client, addresses)) : Optional.empty();
        List<UpstreamCluster.TargetHealthBinding> bindings = new ArrayList<>();
        for (int t = 0; t < upstream.getTargetsCount(); t++) {
            UpstreamTarget target;
            try {
                target = UpstreamTarget.fromConfig(upstream.getTargets(t));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("targets[" + t + "].url: " + e.getMessage(), e);
            }
            HealthChecker.Key key = new HealthChecker.Key(name, target);
            targets.add(key);
            check.ifPresent(spec -> checks.put(key, spec));
            bindings.add(new UpstreamCluster.TargetHealthBinding(target, runtime.health(name, target)));
        }
        if (bindings.isEmpty()) {
            throw new IllegalArgumentException("targets: upstream '" + name + "' has no targets");
        }
        return new UpstreamCluster(name, bindings, settings(upstream, client));
    }

    /** Puts the compiled targets and their health checks in force (stops what is gone). */
    public void commit() {
        runtime.commit(targets, checks);
    }

    private UpstreamCluster.Settings settings(Upstream upstream, ClientSettings client) {
        UpstreamCluster.Policy policy = switch (upstream.getLoadBalancing().getPolicy()) {
            case LEAST_REQUEST -> UpstreamCluster.Policy.LEAST_REQUEST;
            case CONSISTENT_HASH -> UpstreamCluster.Policy.CONSISTENT_HASH;
            default -> UpstreamCluster.Policy.ROUND_ROBIN;
        };
        Optional<HashKey> hashKey = policy == UpstreamCluster.Policy.CONSISTENT_HASH
                ? Optional.of(hashKey(upstream.getLoadBalancing().getHashOn())) : Optional.empty();
        Optional<OutlierDetector> outlier = upstream.hasOutlierDetection()
                ? Optional.of(outlier(upstream.getName(), upstream.getOutlierDetection())) : Optional.empty();
        ConnectionPool pool = upstream.getPool();
        int maxConnections = pool.getMaxConnections() == 0 ? ConfigDefaults.POOL_MAX_CONNECTIONS : pool.getMaxConnections();
        int maxPending = pool.getMaxPending() == 0 ? ConfigDefaults.POOL_MAX_PENDING : pool.getMaxPending();
        return new UpstreamCluster.Settings(policy, hashKey, outlier, maxConnections, maxPending, client,
                runtime.region());
    }

    private static HashKey hashKey(HashOn on) {
        return switch (on.getSourceCase()) {
            case HEADER -> HashKey.Header.named(on.getHeader());
            case COOKIE -> new HashKey.Cookie(on.getCookie());
            case CLIENT_IP -> new HashKey.ClientIp();
            case SOURCE_NOT_SET -> throw new IllegalArgumentException(
                    "loadBalancing.hashOn: CONSISTENT_HASH needs a header, cookie or clientIp");
        };
    }

    private static OutlierDetector outlier(String name, OutlierDetection o) {
        return new OutlierDetector(name,
                o.getConsecutive5Xx() == 0 ? ConfigDefaults.OUTLIER_CONSECUTIVE_5XX : o.getConsecutive5Xx(),
                o.getConsecutiveGatewayFailures() == 0 ? ConfigDefaults.OUTLIER_CONSECUTIVE_GATEWAY_FAILURES : o.getConsecutiveGatewayFailures(),
                o.hasBaseEjectionTime() ? duration(o.getBaseEjectionTime()) : ConfigDefaults.BASE_EJECTION_TIME,
                o.hasMaxEjectionTime() ? duration(o.getMaxEjectionTime()) : ConfigDefaults.MAX_EJECTION_TIME,
                o.getMaxEjectionPercent() == 0 ? ConfigDefaults.MAX_EJECTION_PERCENT : Math.min(100, o.getMaxEjectionPercent()));
    }

    private static HealthCheckSpec healthCheck(HealthCheck h, ClientSettings client, AddressRules addresses) {
        try {
            return new HealthCheckSpec(h.getPath(),
                    h.hasInterval() ? duration(h.getInterval()) : ConfigDefaults.HEALTH_CHECK_INTERVAL,
                    h.hasTimeout() ? duration(h.getTimeout()) : ConfigDefaults.HEALTH_CHECK_TIMEOUT,
                    h.getHealthyThreshold() == 0 ? ConfigDefaults.HEALTHY_THRESHOLD : h.getHealthyThreshold(),
                    h.getUnhealthyThreshold() == 0 ? ConfigDefaults.UNHEALTHY_THRESHOLD : h.getUnhealthyThreshold(),
                    client, addresses);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("healthCheck: " + e.getMessage(), e);
        }
    }

    private static ClientSettings clientSettings(Upstream upstream) {
        UpstreamTls tls = upstream.getTls();
        String pem = tls.getCaCertificatesPem();
        if (pem.isEmpty() && !tls.getCaFile().isEmpty()) {
            try {
                pem = Files.readString(Path.of(tls.getCaFile()), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new IllegalArgumentException("tls.caFile: cannot read " + tls.getCaFile() + ": " + e, e);
            }
        }
        if (!pem.isEmpty()) {
            try {
                ClientSettings.parsePem(pem);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tls: " + e.getMessage(), e);
            }
        }
        Optional<String> serverName = Optional.of(tls.getServerName()).filter(name -> !name.isEmpty());
        try {
            serverName.ifPresent(SNIHostName::new);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tls.serverName: not a valid SNI host name: " + e.getMessage(), e);
        }
        return new ClientSettings(upstream.getProtocol(), pem, idleTimeout(upstream), serverName);
    }

    private static Duration idleTimeout(Upstream upstream) {
        if (!upstream.getPool().hasIdleTimeout()) {
            return ConfigDefaults.POOL_IDLE_TIMEOUT;
        }
        if (upstream.getProtocol() != UpstreamProtocol.HTTP1) {
            throw new IllegalArgumentException("pool.idleTimeout: applies to HTTP1 upstreams only");
        }
        Duration idle = duration(upstream.getPool().getIdleTimeout());
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("pool.idleTimeout: must be positive, not " + idle);
        }
        return idle;
    }

    private static Duration duration(com.google.protobuf.Duration d) {
        return Duration.ofMillis(Durations.toMillis(d));
    }
}
