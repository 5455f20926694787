package io.gatehouse.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedisNodesTest {

    @Test
    void clusterNodesYieldsTheMastersThatAreNotFailing() {
        String nodes = """
                a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
                b2 127.0.0.1:7001@17001,host-b master - 0 1 2 connected 5461-10922
                c3 127.0.0.1:7002@17002 master,fail - 0 1 3 disconnected
                d4 127.0.0.1:7003@17003 slave a1 0 1 1 connected
                e5 127.0.0.1:7004@17004 master - 0 1 5 connected 10923-16383
                """;
        assertThat(RedisNodes.masters(nodes, "redis://"))
                .containsExactly("redis://127.0.0.1:7000", "redis://127.0.0.1:7001", "redis://127.0.0.1:7004");
    }

    @Test
    void credentialsAreFoundInEveryUrlForm() {
        assertThat(CacheCommand.hasUserInfo("redis://u:pw@h:6379/0")).isTrue();
        assertThat(CacheCommand.hasUserInfo("redis-cluster://h1:7000,u:pw@h2:7001")).isTrue();
        assertThat(CacheCommand.hasUserInfo("redis-sentinel://:pw@s1:26379#mymaster")).isTrue();
        assertThat(CacheCommand.hasUserInfo("redis-cluster://h1:7000,h2:7001")).isFalse();
        assertThat(CacheCommand.hasUserInfo("redis-sentinel://s1:26379/2#m@ster")).isFalse();
    }
}
