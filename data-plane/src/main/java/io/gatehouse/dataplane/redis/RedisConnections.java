package io.gatehouse.dataplane.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.HashedWheelTimer;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The data plane's shared Redis client (Lettuce): one client and two multiplexed, thread-safe
 * connections (String and byte[] codecs) used by every Redis user in the data plane (rate limits,
 * response cache, shared circuit breaker state). Reuse this holder rather than creating clients.
 *
 * <p>One API for three deployments ({@link RedisTarget}): a standalone server, a Sentinel-monitored
 * master (Lettuce asks the sentinels for the master on every reconnect, so a failover moves the
 * connection) and a Redis Cluster ({@link RedisClusterClient}: commands are routed by key slot;
 * every Gatehouse key carries a hash tag — {@code {route}} or {@code {upstream}} — so the keys one
 * command or script touches share a slot). Users get {@link RedisClusterAsyncCommands}, the
 * command set both connection kinds implement.
 *
 * <p>Cluster topology: refreshed every {@link #TOPOLOGY_REFRESH} and at once on the adaptive
 * triggers (MOVED/ASK redirects, persistent reconnect attempts, unknown nodes), so after a master
 * fails and a replica is promoted, commands reach the new master within about a second of the
 * promotion. Until then commands for the lost slots time out and callers fall back to local state.
 *
 * <p>Contract for users: Redis is optional. Connections are opened lazily and {@link #strings()} /
 * {@link #bytes()} return empty while Redis cannot be reached (a failed connect is retried at most
 * once per {@link #RECONNECT_INTERVAL}); once connected, Lettuce reconnects on its own, and commands
 * issued while disconnected fail at once (REJECT_COMMANDS) instead of queueing. Every command times
 * out after {@link #commandTimeout()}: callers must treat any exception as "Redis unavailable" and
 * degrade (never answer 5xx because of Redis). Thread-safe; {@link #close()} is idempotent.
 */
public final class RedisConnections implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisConnections.class.getName());
    /** Default command timeout: Redis on the request path must be fast or be skipped. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(50);
    static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(1);
    /** Periodic cluster topology refresh, on top of the adaptive triggers. */
    static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(10);
    /** Resolution of command timeouts. */
    static final Duration TIMEOUT_TICK = Duration.ofMillis(5);

    private final String url;
    private final RedisTarget target;
    private final Duration commandTimeout;
    private final Duration connectTimeout;
    private final ClientResources resources;
    private final HashedWheelTimer timeouts;
    private final AbstractRedisClient client;
    private final ReentrantLock connectLock = new ReentrantLock();
    private final AtomicLong nextConnectAttemptNanos = new AtomicLong(System.nanoTime());
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Connected<String, String> strings;
    private volatile Connected<byte[], byte[]> bytes;

    /** A connection and its command interface, taken once (both are thread-safe). */
    private record Connected<K, V>(StatefulConnection<K, V> connection, RedisClusterAsyncCommands<K, V> commands) {
    }

    private RedisConnections(String url, Duration commandTimeout, RedisAuth auth) {
        // Only the redacted form is kept: it is what logs show.
        this.url = RedisAuth.redact(url);
        this.target = RedisTarget.parse(url);
        this.commandTimeout = commandTimeout;
        this.connectTimeout = Duration.ofMillis(Math.max(500, commandTimeout.toMillis() * 4));
        for (RedisURI uri : target.nodes()) {
            configure(uri, commandTimeout, auth);
        }
        // Lettuce fails a command at its timeout on this wheel. Netty's default wheel ticks every
        // 100 ms, so a 50 ms timeout fired after 100-200 ms: a hung Redis made the request p99 ~150 ms
        // (chaos harness, "Redis hung"). A 5 ms tick bounds the wait by the timeout, not the wheel.
        this.timeouts = new HashedWheelTimer(Thread.ofPlatform().daemon().name("redis-timeouts").factory(),
                TIMEOUT_TICK.toMillis(), TimeUnit.MILLISECONDS);
        // Reconnect quickly after Redis comes back (Lettuce's default backs off up to 30 s).
        this.resources = DefaultClientResources.builder()
                .timer(timeouts)
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                // Every request thread sends its own command, and Lettuce flushes each one: one write
                // syscall per command on our side and one read on Redis's. Consolidating flushes on the
                // event loop coalesces commands sent at the same moment into one write (nothing waits
                // longer than the event loop's current turn); +10-14% req/s on a rate-limited route.
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        channel.pipeline().addFirst(new FlushConsolidationHandler(
                                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                    }
                })
                .build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).build();
        Optional<SslOptions> ssl = auth.ca().map(ca -> SslOptions.builder().trustManager(ca.toFile()).build());
        if (target.kind() == RedisTarget.Kind.CLUSTER) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, target.nodes());
            ClusterClientOptions.Builder options = ClusterClientOptions.builder();
            ssl.ifPresent(options::sslOptions);
            cluster.setOptions(options
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                    .socketOptions(socket)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                            .refreshTriggersReconnectAttempts(2)
                            .build())
                    .build());
            this.client = cluster;
        } else {
            RedisClient standalone = RedisClient.create(resources, target.nodes().getFirst());
            ClientOptions.Builder options = ClientOptions.builder();
            ssl.ifPresent(options::sslOptions);
            standalone.setOptions(options
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                    .socketOptions(socket)
                    .build());
            this.client = standalone;
        }
    }

    /** Timeout, AUTH and TLS verification of one node (or Sentinel) URI. */
    private static void configure(RedisURI uri, Duration commandTimeout, RedisAuth auth) {
        uri.setTimeout(commandTimeout);
        if (auth.password().isPresent()) {
            // AUTH (or HELLO with credentials) on every (re)connect; ACL user when given.
            if (auth.user().isPresent()) {
                uri.setAuthentication(auth.user().get(), auth.passwordChars());
            } else {
                uri.setAuthentication(auth.passwordChars());
            }
        }
        // rediss://: TLS, server certificate chained to the CA and matching the host (Lettuce's FULL
        // verification is the default for rediss; stated here because it is the point).
        if (uri.isSsl()) {
            uri.setVerifyPeer(SslVerifyMode.FULL);
        }
    }

    /** A holder for {@code url} (e.g. {@code redis://127.0.0.1:6379}); connects lazily. */
    public static RedisConnections create(String url, Duration commandTimeout) {
        return create(url, commandTimeout, RedisAuth.NONE);
    }

    /**
     * As {@link #create(String, Duration)}, authenticating with {@code auth} (AUTH, TLS trust).
     *
     * @throws IllegalArgumentException when {@code url} is not a Redis URL {@link RedisTarget} knows
     */
    public static RedisConnections create(String url, Duration commandTimeout, RedisAuth auth) {
        Objects.requireNonNull(url, "url");
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("commandTimeout must be > 0: " + commandTimeout);
        }
        RedisConnections connections = new RedisConnections(url, commandTimeout, auth);
        Thread.ofVirtual().name("redis-connect").start(connections::connectUntilConnected);
        return connections;
    }

    public static RedisConnections create(String url) {
        return create(url, DEFAULT_COMMAND_TIMEOUT);
    }

    public String url() {
        return url;
    }

    /** Standalone, Sentinel or Cluster. */
    public RedisTarget.Kind kind() {
        return target.kind();
    }

    /** The timeout every command gets; also what callers should wait at most on a future. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** Commands on the shared String-codec connection, or empty while Redis cannot be reached. */
    public Optional<RedisClusterAsyncCommands<String, String>> strings() {
        Connected<String, String> connected = strings;
        if (connected == null) {
            connect();
            connected = strings;
        }
        return connected == null ? Optional.empty() : Optional.of(connected.commands());
    }

    /**
     * Connects off the request path, and keeps trying until both connections exist or this is closed:
     * one attempt at start-up was not enough (a slow start or a Redis that comes up later left the data
     * plane on its local fallback until a request happened to retry). Backs off from
     * RECONNECT_INTERVAL to 30 times it, so a Redis that stays down costs a log line every ~30 s.
     * Once connected, Lettuce reconnects on its own.
     */
    private void connectUntilConnected() {
        long pause = RECONNECT_INTERVAL.toMillis();
        while (!closed.get() && (strings == null || bytes == null)) {
            connect();
            if (strings != null && bytes != null) {
                return;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            pause = Math.min(pause * 2, RECONNECT_INTERVAL.toMillis() * 30);
        }
    }

    /** Whether the shared String-codec connection (rate limits) is established and open; never connects. */
    public boolean connected() {
        Connected<String, String> connected = strings;
        return connected != null && connected.connection().isOpen();
    }

    /** Commands on the shared byte[]-codec connection (cache bodies), or empty while Redis cannot be reached. */
    public Optional<RedisClusterAsyncCommands<byte[], byte[]>> bytes() {
        Connected<byte[], byte[]> connected = bytes;
        if (connected == null) {
            connect();
            connected = bytes;
        }
        return connected == null ? Optional.empty() : Optional.of(connected.commands());
    }

    private void connect() {
        if (closed.get() || System.nanoTime() - nextConnectAttemptNanos.get() < 0) {
            return; // the last attempt failed recently
        }
        try {
            // Wait for a connect in progress on another thread rather than reporting "unavailable".
            if (!connectLock.tryLock(connectTimeout.toMillis() * 2, TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            long now = System.nanoTime();
            if ((strings != null && bytes != null) || now - nextConnectAttemptNanos.get() < 0) {
                return;
            }
            nextConnectAttemptNanos.set(now + RECONNECT_INTERVAL.toNanos());
            if (strings == null) {
                strings = open(StringCodec.UTF8);
            }
            if (bytes == null) {
                bytes = open(ByteArrayCodec.INSTANCE);
            }
            LOG.info(() -> "connected to Redis (" + target.kind().name().toLowerCase(java.util.Locale.ROOT) + ") at "
                    + url);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Redis at " + url + " unreachable (" + e.getMessage()
                    + "); retrying in " + RECONNECT_INTERVAL.toMillis() + " ms");
        } finally {
            connectLock.unlock();
        }
    }

    private <K, V> Connected<K, V> open(RedisCodec<K, V> codec) {
        if (client instanceof RedisClusterClient cluster) {
            StatefulRedisClusterConnection<K, V> connection = cluster.connect(codec);
            return new Connected<>(connection, connection.async());
        }
        StatefulRedisConnection<K, V> connection = ((RedisClient) client).connect(codec);
        return new Connected<>(connection, connection.async());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (strings != null) {
                strings.connection().close();
            }
            if (bytes != null) {
                bytes.connection().close();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            timeouts.stop(); // ours, not Lettuce's: it does not stop a timer it was given
        }
    }
}
