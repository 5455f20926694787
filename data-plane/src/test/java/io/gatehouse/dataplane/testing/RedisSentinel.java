package io.gatehouse.dataplane.testing;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.RedisServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A Sentinel-monitored Redis on private loopback ports: a master, one replica and one sentinel
 * (quorum 1, master down after 1 s), all redis-server child processes. Enough to watch a real
 * failover; never touches the shared 127.0.0.1:6379.
 */
public final class RedisSentinel implements AutoCloseable {

    public static final String MASTER_NAME = "gatehouse";

    private final RedisServer master;
    private final RedisServer replica;
    private final Process sentinel;
    private final int sentinelPort;

    private RedisSentinel(RedisServer master, RedisServer replica, Process sentinel, int sentinelPort) {
        this.master = master;
        this.replica = replica;
        this.sentinel = sentinel;
        this.sentinelPort = sentinelPort;
    }

    public static RedisSentinel start(String name) throws IOException, InterruptedException {
        RedisServer master = RedisServer.launch(name + "-master");
        RedisServer replica = RedisServer.launch(name + "-replica",
                "--replicaof", "127.0.0.1", Integer.toString(master.port()));
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("sentinel-" + name);
        Path conf = dir.resolve("sentinel.conf");
        Files.writeString(conf, String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "dir " + dir,
                "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " 1",
                "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
                "sentinel failover-timeout " + MASTER_NAME + " 5000",
                "sentinel parallel-syncs " + MASTER_NAME + " 1", ""));
        Process sentinel = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
                .redirectErrorStream(true).redirectOutput(dir.resolve("sentinel.log").toFile()).start();
        RedisSentinel group = new RedisSentinel(master, replica, sentinel, port);
        Await.until("the sentinel answers", Duration.ofSeconds(10), group::sentinelAccepting);
        Await.until("the replica is in sync", Duration.ofSeconds(20),
                () -> cli(replica.port(), "info", "replication").contains("master_link_status:up"));
        return group;
    }

    /** {@code redis-sentinel://127.0.0.1:port#gatehouse}. */
    public String url() {
        return "redis-sentinel://127.0.0.1:" + sentinelPort + "#" + MASTER_NAME;
    }

    public RedisServer master() {
        return master;
    }

    public RedisServer replica() {
        return replica;
    }

    /** The port the sentinel reports as the master's now. */
    public int currentMasterPort() {
        String[] reply = cli(sentinelPort, "sentinel", "get-master-addr-by-name", MASTER_NAME).trim().split("\n");
        return reply.length == 2 ? Integer.parseInt(reply[1].trim()) : -1;
    }

    private boolean sentinelAccepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", sentinelPort), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String cli(int port, String... args) {
        return RedisCli.run(port, args);
    }

    @Override
    public void close() throws InterruptedException {
        sentinel.destroyForcibly();
        sentinel.waitFor();
        replica.close();
        master.close();
    }
}
