package io.gatehouse.dataplane.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisTargetTest {

    @Test
    void theThreeDeploymentsAndTheirTlsForms() {
        assertThat(RedisTarget.parse("redis://127.0.0.1:6379/2").kind()).isEqualTo(RedisTarget.Kind.STANDALONE);
        RedisTarget sentinel = RedisTarget.parse("rediss-sentinel://s1:26379,s2:26380/1#gatehouse");
        assertThat(sentinel.kind()).isEqualTo(RedisTarget.Kind.SENTINEL);
        assertThat(sentinel.nodes().getFirst().getSentinels()).hasSize(2);
        assertThat(sentinel.nodes().getFirst().getSentinelMasterId()).isEqualTo("gatehouse");
        assertThat(sentinel.nodes().getFirst().isSsl()).isTrue();
        RedisTarget cluster = RedisTarget.parse("rediss-cluster://n1:7000, n2:7001");
        assertThat(cluster.kind()).isEqualTo(RedisTarget.Kind.CLUSTER);
        assertThat(cluster.nodes()).extracting(u -> u.getHost() + ":" + u.getPort() + ":" + u.isSsl())
                .containsExactly("n1:7000:true", "n2:7001:true");
    }

    @Test
    void whatCannotBeMeantIsRefusedWithoutEchoingCredentials() {
        assertThatThrownBy(() -> RedisTarget.parse("redis-cluster://n1:7000/3"))
                .hasMessageContaining("only database 0");
        assertThatThrownBy(() -> RedisTarget.parse("redis-cluster://user:secret@n1:7000"))
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> RedisTarget.parse("redis-sentinel://s1:26379"))
                .hasMessageContaining("names its master");
        assertThatThrownBy(() -> RedisTarget.parse("http://x:1")).hasMessageContaining("must start with");
        assertThatThrownBy(() -> RedisTarget.parse("redis-cluster://n1:7000,,n2:7001")).hasMessageContaining("empty seed");
    }

    @Test
    void credentialsAreFoundInEveryUrlForm() {
        assertThat(RedisAuth.hasPassword("redis://u:pw@h:6379/0")).isTrue();
        assertThat(RedisAuth.hasPassword("redis-cluster://h1:7000,u:pw@h2:7001")).isTrue();
        assertThat(RedisAuth.hasPassword("rediss-sentinel://:pw@s1:26379#gatehouse")).isTrue();
        assertThat(RedisAuth.hasPassword("redis-cluster://h1:7000,h2:7001")).isFalse();
        assertThat(RedisAuth.hasPassword("redis-sentinel://s1:26379/2#m@ster")).isFalse();
    }
}
