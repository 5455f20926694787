package io.gatehouse.dataplane.testing;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.RedisServer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster of redis-server child processes on private loopback ports: {@code masters}
 * masters with one replica each, built with {@code redis-cli --cluster create}, a short node timeout
 * (1 s) so a failover takes seconds. Never touches the shared 127.0.0.1:6379.
 */
public final class RedisCluster implements AutoCloseable {

    private final List<RedisServer> nodes;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = nodes;
    }

    public static RedisCluster start(String name, int masters) throws IOException, InterruptedException {
        List<RedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters * 2; i++) {
                nodes.add(RedisServer.launch(name + "-" + i, "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                        // a replica may take over however long it was cut off: the test kills masters
                        "--cluster-replica-validity-factor", "0"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            String out = RedisCli.command(create);
            if (!out.contains("[OK] All 16384 slots covered")) {
                throw new IOException("redis-cli --cluster create failed:\n" + out);
            }
            RedisCluster cluster = new RedisCluster(nodes);
            cluster.awaitHealthy(Duration.ofSeconds(30));
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (RedisServer node : nodes) {
                node.close();
            }
            throw e;
        }
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…} with every node as a seed. */
    public String url() {
        return "redis-cluster://" + nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    /** Waits until every live node reports {@code cluster_state:ok} and all slots have a master. */
    public void awaitHealthy(Duration timeout) {
        Await.until("the Redis Cluster is healthy", timeout, () -> nodes.stream().filter(RedisServer::alive)
                .allMatch(n -> clusterInfo(n).contains("cluster_state:ok")));
    }

    /** The live node that is master for {@code slot} now, if any (none during a failover). */
    public java.util.Optional<RedisServer> masterOf(int slot) {
        for (RedisServer node : nodes) {
            if (!node.alive()) {
                continue;
            }
            for (String line : cli(node, "cluster", "nodes").split("\n")) {
                String[] fields = line.trim().split(" ");
                if (fields.length < 9 || !fields[2].contains("myself") || !fields[2].contains("master")) {
                    continue;
                }
                for (int i = 8; i < fields.length; i++) {
                    String range = fields[i];
                    if (range.startsWith("[")) {
                        continue; // a slot being migrated
                    }
                    int dash = range.indexOf('-');
                    int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                    int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
                    if (slot >= from && slot <= to) {
                        return java.util.Optional.of(node);
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** The slot of {@code key} (CLUSTER KEYSLOT, so the hash tag rules are Redis's own). */
    public int slotOf(String key) {
        RedisServer any = nodes.stream().filter(RedisServer::alive).findFirst().orElseThrow();
        return Integer.parseInt(cli(any, "cluster", "keyslot", key).trim());
    }

    private static String clusterInfo(RedisServer node) {
        return cli(node, "cluster", "info");
    }

    private static String cli(RedisServer node, String... args) {
        return RedisCli.run(node.port(), args);
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisServer node : nodes) {
            node.close();
        }
    }
}
