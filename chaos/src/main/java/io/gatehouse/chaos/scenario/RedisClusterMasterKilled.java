package io.gatehouse.chaos.scenario;

/**
 * Hook for the Redis Cluster row of issue 14: a 3-master/3-replica cluster of redis-servers, a master
 * killed under load; expected 0 5xx, local fallback during failover, shared limits after it. The data
 * plane does not speak Redis Cluster yet (the lead's part of issue 14); until {@code Fleet.redisCluster()}
 * returns a running cluster, this reports SKIPPED. To wire it: implement {@link io.gatehouse.chaos.fleet.RedisCluster}
 * (redis-cli --cluster create on private ports), start it in {@code Fleet} and give its URL to the data planes'
 * {@code --redis-url}, then extend {@link FaultScenario} as {@link RedisFault} does: inject = kill -9
 * {@code masterOfRateLimitKeys()}, heal = start it again, recovered = decisions in Redis again; and check
 * that the limit holds across both data planes once {@code healthy()}.
 */
public final class RedisClusterMasterKilled implements Scenario {

    @Override
    public String name() {
        return "Redis Cluster master killed";
    }

    @Override
    public String expectation() {
        return "0 5xx; local fallback during failover; shared limits again after it";
    }

    @Override
    public ScenarioResult run(ScenarioContext context) {
        if (context.fleet().redisCluster().isEmpty()) {
            return ScenarioResult.skipped(this, "the data plane has no Redis Cluster support yet (issue 14, lead)");
        }
        throw new UnsupportedOperationException("wire the cluster scenario (see the class comment)");
    }
}
