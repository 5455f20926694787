package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fault.Fault;
import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Redis, which every /api request touches (a rate limit: one EVALSHA; a shared breaker: a cached
 * GET), killed, hung or slowed by 50 ms. No 5xx; decisions fall back to local limits; p99 stays
 * bounded by the data plane's Redis command timeout (50 ms), not by Redis; once Redis is back,
 * decisions are made in Redis again (time to recover).
 */
public final class RedisFault extends FaultScenario {

    /** The data plane's Redis command timeout (RedisConnections). */
    private static final double REDIS_TIMEOUT_MS = 50;
    /** Noise allowance on top of the baseline p99 of the same run (a shared 2-core box). */
    private static final double SLACK_MS = 25;

    /** What happens to Redis. */
    public enum Kind { KILLED, HUNG, SLOW }

    private final Kind kind;
    private double localBefore;
    private double localDuring;
    private double redisAtHeal;

    public RedisFault(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return switch (kind) {
            case KILLED -> "Redis kill -9, restarted";
            case HUNG -> "Redis hung (SIGSTOP)";
            case SLOW -> "Redis slow (+50 ms)";
        };
    }

    @Override
    public String expectation() {
        return "0 5xx; limits fall back to local within the Redis timeout; p99 bounded by the timeout, not by Redis";
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        localBefore = decisions(fleet, "local_fallback");
        switch (kind) {
            case KILLED -> fleet.redis().process().kill9();
            case HUNG -> fleet.redis().process().freeze();
            case SLOW -> fleet.redisProxy().fault(Fault.latency(Duration.ofMillis(50)));
        }
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        localDuring = decisions(fleet, "local_fallback") - localBefore;
        redisAtHeal = decisions(fleet, "redis");
        switch (kind) {
            case KILLED -> fleet.redis().startAndAwait();
            case HUNG -> fleet.redis().process().thaw();
            case SLOW -> fleet.redisProxy().heal();
        }
    }

    /** Recovered: rate-limit decisions are made in Redis again. */
    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> decisions(context.fleet(), "redis") > redisAtHeal;
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        StreamResult api = streams.getFirst();
        checks.add(Checks.noServerErrors(api));
        checks.add(Checks.noFailures(api));
        double baseline = api.before().percentileMillis(99);
        checks.add(Checks.p99DuringAtMost(api, baseline + REDIS_TIMEOUT_MS + SLACK_MS,
                "baseline p99 " + Checks.fmt(baseline) + " ms + Redis timeout 50 ms + 25 ms"));
        checks.add(Check.of("decisions fell back to local limits", localDuring > 0,
                String.format("%.0f local_fallback decisions during the fault", localDuring)));
        checks.add(Check.info("decisions in Redis again after", recovery.map(d -> d.toMillis() + " ms").orElse("not within 60 s")));
    }

    /** Rate-limit decisions made so far by both data planes from {@code source} ("redis" or "local_fallback"). */
    private static double decisions(Fleet fleet, String source) {
        double sum = 0;
        for (DataPlaneNode dp : fleet.dataPlanes()) {
            sum += dp.metric("gatehouse_ratelimit_decisions_total", "source=\"" + source + "\"");
        }
        return sum;
    }
}
