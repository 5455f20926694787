package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.proxy.AttemptListener;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.gatehouse.testing.RedisServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two breaker registries with their own Lettuce clients (two data planes) sharing open state through
 * a real redis-server of this test's own, which is then stopped and started again.
 */
class SharedBreakerTest {

    private static final BreakerSettings SHARED = new BreakerSettings(2, 0, Duration.ofSeconds(10), 20,
            Duration.ofSeconds(5), 1, true);

    @RegisterExtension final RedisServer redis = RedisServer.create("shared-breaker");
    @RegisterExtension final Closer closer = new Closer();
    private RedisConnections redisA;
    private RedisConnections redisB;
    private BreakerRegistry a;
    private BreakerRegistry b;
    private final String prefix = "gh:cb:test-" + UUID.randomUUID() + ":";

    @BeforeEach
    void start() throws Exception {
        redisA = closer.track(RedisConnections.create(redis.url()));
        redisB = closer.track(RedisConnections.create(redis.url()));
        a = new BreakerRegistry(redisA, prefix);
        b = new BreakerRegistry(redisB, prefix);
        // The first connect of a cold JVM can exceed the holder's short connect timeout; it retries each second.
        Await.until("both Redis clients connected", Duration.ofSeconds(10),
                () -> redisA.strings().isPresent() && redisB.strings().isPresent());
    }

    /** Makes {@code registry} open its breaker for {@code upstream} from its own failures. */
    private static void failUntilOpen(BreakerRegistry registry, String upstream) {
        for (int i = 0; i < 2; i++) {
            assertEquals(0, registry.tryAcquire(upstream, SHARED, System.nanoTime()));
            registry.onAttempt(null, upstream, null, AttemptListener.Outcome.CONNECT_FAILURE);
        }
        assertTrue(registry.tryAcquire(upstream, SHARED, System.nanoTime()) > 0);
    }

    private static boolean rejects(BreakerRegistry registry, String upstream) {
        return registry.tryAcquire(upstream, SHARED, System.nanoTime()) > 0;
    }

    @Test
    void anInstanceSeesABreakerOpenedByAnotherWithinASecond() {
        assertTrue(!rejects(b, "orders"));

        failUntilOpen(a, "orders");

        Duration took = Await.until("the other instance rejects", Duration.ofSeconds(1), () -> rejects(b, "orders"));
        System.out.println("shared open seen after " + took.toMillis() + " ms");
        assertTrue(!rejects(b, "payments"), "other upstreams are unaffected");
    }

    @Test
    void withRedisStoppedLocalStateStillDecidesAndSharingResumesWhenItIsBack() throws Exception {
        failUntilOpen(a, "warmup"); // both clients connected
        Await.until("shared state works", Duration.ofSeconds(2), () -> rejects(b, "warmup"));

        redis.kill();

        // A opens another breaker: it cannot share it, B keeps deciding on its own (closed).
        failUntilOpen(a, "catalog");
        for (int i = 0; i < 20; i++) {
            assertTrue(!rejects(b, "catalog"), "B has no failures of its own and Redis is down");
        }
        // B's own failures still open its local breaker.
        failUntilOpen(b, "search");

        redis.revive();
        Await.until("sharing works again after Redis returns", Duration.ofSeconds(15), () -> {
            failUntilOpenQuietly(a, "inventory");
            return rejects(b, "inventory");
        });
    }

    private static void failUntilOpenQuietly(BreakerRegistry registry, String upstream) {
        if (!rejects(registry, upstream)) {
            registry.onAttempt(null, upstream, null, AttemptListener.Outcome.CONNECT_FAILURE);
            registry.onAttempt(null, upstream, null, AttemptListener.Outcome.CONNECT_FAILURE);
        }
    }
}
