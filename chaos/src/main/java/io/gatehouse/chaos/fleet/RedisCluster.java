package io.gatehouse.chaos.fleet;

/**
 * Hook for issue 14's Redis Cluster scenario: a 3-master/3-replica cluster of redis-servers on
 * private ports ({@code redis-cli --cluster create}) that the data planes use instead of the single
 * Redis. Nothing implements it yet: it needs the data plane's Redis Cluster support first.
 */
public interface RedisCluster extends AutoCloseable {

    /** The URL the data planes get as {@code --redis-url}. */
    String url();

    /** The master that owns the slot of the harness's rate-limit keys: the one to kill. */
    ManagedProcess masterOfRateLimitKeys();

    /** Whether every slot is served again (after a failover). */
    boolean healthy();

    /** Stops every node. */
    @Override
    void close();
}
