package io.gatehouse.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse cache purge} against the shared Redis at 127.0.0.1:6379, with keys unique to this run. */
class CacheCommandTest {

    private static final String REDIS = "redis://127.0.0.1:6379";
    static final CacheCommand.Credentials NO_CREDENTIALS = new CacheCommand.Credentials(java.util.Optional.empty(),
            java.util.Optional.empty(), java.util.Optional.empty());
    private final String run = "cli" + Long.toString(System.nanoTime(), 36);
    private final List<String> created = new ArrayList<>();

    private String key(String route, String path) {
        return "gh:cache:{" + run + route + "}:" + path + "|h" + created.size();
    }

    @BeforeEach
    void seed() throws Exception {
        try (CacheCommand.Resp redis = CacheCommand.Resp.connect(REDIS, NO_CREDENTIALS)) {
            for (String k : List.of(key("-a", "/api/users/1"), key("-a", "/api/users/2"), key("-a", "/api/orders"),
                    key("-b", "/api/users/3"), key("-b", "/other"))) {
                created.add(k);
                redis.array("EVAL", "redis.call('SET', KEYS[1], 'x', 'PX', 60000) return {}", "1", k);
            }
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (CacheCommand.Resp redis = CacheCommand.Resp.connect(REDIS, NO_CREDENTIALS)) {
            List<String> command = new ArrayList<>(List.of("UNLINK"));
            command.addAll(created);
            redis.integer(command.toArray(String[]::new));
        }
    }

    private long exists(String... keys) throws Exception {
        try (CacheCommand.Resp redis = CacheCommand.Resp.connect(REDIS, NO_CREDENTIALS)) {
            List<String> command = new ArrayList<>(List.of("EXISTS"));
            command.addAll(List.of(keys));
            return redis.integer(command.toArray(String[]::new));
        }
    }

    @Test
    void purgesByRouteAndByRouteAndPrefix() throws Exception {
        CliRunner cli = CliRunner.against("127.0.0.1:1");
        CliRunner.Result prefixed = cli.run("cache", "purge", "--route", run + "-a", "--prefix", "/api/users", "--redis", REDIS);
        assertThat(prefixed.exitCode()).as(prefixed.toString()).isZero();
        assertThat(prefixed.out()).contains("purged 2 cache entries");
        assertThat(exists(created.get(0), created.get(1))).isZero();
        assertThat(exists(created.get(2), created.get(3), created.get(4))).isEqualTo(3);

        CliRunner.Result route = cli.withEnv("GATEHOUSE_REDIS_URL", REDIS).run("cache", "purge", "--route", run + "-b");
        assertThat(route.exitCode()).as(route.toString()).isZero();
        assertThat(route.out()).contains("purged 2 cache entries");
        assertThat(exists(created.get(3), created.get(4))).isZero();
        assertThat(exists(created.get(2))).isEqualTo(1);
    }

    @Test
    void needsARouteOrPrefixAndReportsAnUnreachableRedis() {
        CliRunner cli = CliRunner.against("127.0.0.1:1");
        assertThat(cli.run("cache", "purge", "--redis", REDIS).exitCode()).isEqualTo(ExitCodes.USAGE);
        CliRunner.Result down = cli.run("cache", "purge", "--route", "x", "--redis", "redis://127.0.0.1:1");
        assertThat(down.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(down.err()).contains("cannot purge");
    }
}
