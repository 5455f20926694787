package io.gatehouse.dataplane.redis;

import io.lettuce.core.RedisURI;

import java.util.ArrayList;
import java.util.List;

/**
 * Which Redis deployment a URL names, parsed once.
 *
 * <ul>
 *   <li>{@code redis://host:port[/db]}, {@code rediss://…}: one server (standalone).</li>
 *   <li>{@code redis-sentinel://host:26379[,host2:26379…][/db]#master}: the master that the named
 *       Sentinel group monitors; Lettuce asks the sentinels for it on every (re)connect, so a failover
 *       moves the connection to the new master. {@code rediss-sentinel://} for TLS.</li>
 *   <li>{@code redis-cluster://host:7000[,host2:7001…]}: a Redis Cluster, reached through any of the
 *       seed nodes (the topology is discovered from them and refreshed, see
 *       {@link RedisConnections}). {@code rediss-cluster://} for TLS. No database number: a cluster
 *       has only database 0.</li>
 * </ul>
 *
 * <p>Credentials never come from the URL (see {@link RedisAuth}); user info is refused before this.
 *
 * @param kind  the deployment
 * @param nodes one URI for standalone and Sentinel, one per seed node for a cluster
 */
public record RedisTarget(Kind kind, List<RedisURI> nodes) {

    public enum Kind { STANDALONE, SENTINEL, CLUSTER }

    public RedisTarget {
        nodes = List.copyOf(nodes);
    }

    /**
     * @throws IllegalArgumentException naming what is wrong (never echoing credentials)
     */
    public static RedisTarget parse(String url) {
        String lower = url.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("redis-cluster://") || lower.startsWith("rediss-cluster://")) {
            boolean tls = lower.startsWith("rediss-");
            String rest = url.substring(url.indexOf("://") + 3);
            if (rest.contains("@")) {
                throw new IllegalArgumentException("Redis URL must not carry credentials: " + RedisAuth.redact(url));
            }
            int slash = rest.indexOf('/');
            if (slash >= 0) {
                String tail = rest.substring(slash + 1);
                if (!tail.isEmpty() && !tail.equals("0")) {
                    throw new IllegalArgumentException("a Redis Cluster has only database 0: " + url);
                }
                rest = rest.substring(0, slash);
            }
            List<RedisURI> nodes = new ArrayList<>();
            for (String hostPort : rest.split(",")) {
                if (hostPort.isBlank()) {
                    throw new IllegalArgumentException("empty seed node in " + url);
                }
                nodes.add(RedisURI.create((tls ? "rediss://" : "redis://") + hostPort.strip()));
            }
            return new RedisTarget(Kind.CLUSTER, nodes);
        }
        if (!(lower.startsWith("redis://") || lower.startsWith("rediss://") || lower.startsWith("redis-sentinel://")
                || lower.startsWith("rediss-sentinel://"))) {
            throw new IllegalArgumentException("Redis URL must start with redis://, rediss://, redis-sentinel://,"
                    + " rediss-sentinel://, redis-cluster:// or rediss-cluster://: " + RedisAuth.redact(url));
        }
        if (lower.contains("-sentinel://") && (url.indexOf('#') < 0 || url.endsWith("#"))) {
            throw new IllegalArgumentException("a Sentinel URL names its master after '#': " + RedisAuth.redact(url));
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a valid Redis URL: " + RedisAuth.redact(url));
        }
        boolean sentinel = !uri.getSentinels().isEmpty();
        if (sentinel && (uri.getSentinelMasterId() == null || uri.getSentinelMasterId().isBlank())) {
            throw new IllegalArgumentException("a Sentinel URL names its master after '#': " + RedisAuth.redact(url));
        }
        return new RedisTarget(sentinel ? Kind.SENTINEL : Kind.STANDALONE, List.of(uri));
    }
}
