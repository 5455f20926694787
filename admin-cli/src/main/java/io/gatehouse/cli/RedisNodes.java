package io.gatehouse.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Redis servers that hold data for a Redis URL, in the same forms as the data plane's
 * {@code GATEHOUSE_REDIS_URL}: {@code redis[s]://host:port[/db]} is itself;
 * {@code redis[s]-sentinel://s1:26379[,s2:26379][/db]#master} is the master the first answering
 * sentinel names; {@code redis[s]-cluster://seed1:7000[,seed2:7001]} is every master of the
 * cluster (from {@code CLUSTER NODES} on the first answering seed), since each holds part of the
 * key space. Sentinels are asked without AUTH (they usually have no password; the data servers
 * get the credentials).
 */
final class RedisNodes {

    private RedisNodes() {
    }

    /** URLs ({@code redis[s]://host:port[/db]}) of the servers to work on. */
    static List<String> primaries(String url, CacheCommand.Credentials credentials) throws IOException {
        String lower = url.toLowerCase(Locale.ROOT);
        boolean tls = lower.startsWith("rediss");
        String scheme = tls ? "rediss://" : "redis://";
        if (lower.startsWith("redis-cluster://") || lower.startsWith("rediss-cluster://")) {
            IOException last = null;
            for (String seed : hosts(url)) {
                try (CacheCommand.Resp redis = CacheCommand.Resp.connect(scheme + seed, credentials)) {
                    return masters(redis.bulk("CLUSTER", "NODES"), scheme);
                } catch (IOException e) {
                    last = e;
                }
            }
            throw new IOException("no seed node of the cluster answered: " + (last == null ? "" : last.getMessage()));
        }
        if (lower.startsWith("redis-sentinel://") || lower.startsWith("rediss-sentinel://")) {
            int hash = url.indexOf('#');
            if (hash < 0 || hash == url.length() - 1) {
                throw new IOException("a Sentinel URL names its master after '#'");
            }
            String master = url.substring(hash + 1);
            String db = database(url.substring(0, hash));
            IOException last = null;
            for (String sentinel : hosts(url.substring(0, hash))) {
                try (CacheCommand.Resp redis = CacheCommand.Resp.connect(scheme + sentinel,
                        CacheCommand.Credentials.NONE)) {
                    List<Object> address = redis.array("SENTINEL", "GET-MASTER-ADDR-BY-NAME", master);
                    if (address == null || address.size() != 2) {
                        throw new IOException("sentinel " + sentinel + " does not know master '" + master + "'");
                    }
                    return List.of(scheme + address.get(0) + ":" + address.get(1) + db);
                } catch (IOException e) {
                    last = e;
                }
            }
            throw new IOException("no sentinel answered: " + (last == null ? "" : last.getMessage()));
        }
        return List.of(url);
    }

    /** Masters with slots in a {@code CLUSTER NODES} reply, as URLs. */
    static List<String> masters(String clusterNodes, String scheme) {
        List<String> masters = new ArrayList<>();
        for (String line : clusterNodes.split("\n")) {
            String[] fields = line.trim().split(" ");
            if (fields.length < 9 || !fields[2].contains("master") || fields[2].contains("fail")) {
                continue;
            }
            String address = fields[1].split("[@,]")[0];
            masters.add(scheme + address);
        }
        return masters;
    }

    /** The comma-separated host:port list after the scheme, without a path. */
    private static List<String> hosts(String url) {
        String rest = url.substring(url.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        List<String> hosts = new ArrayList<>();
        for (String host : rest.split(",")) {
            if (!host.isBlank()) {
                hosts.add(host.strip());
            }
        }
        return hosts;
    }

    /** "/db" of a URL, or "". */
    private static String database(String url) {
        String rest = url.substring(url.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        return slash < 0 || slash == rest.length() - 1 ? "" : rest.substring(slash);
    }
}
