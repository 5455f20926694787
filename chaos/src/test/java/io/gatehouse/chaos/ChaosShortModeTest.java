package io.gatehouse.chaos;

import io.gatehouse.chaos.report.ResultsTable;
import io.gatehouse.chaos.scenario.Mode;
import io.gatehouse.chaos.scenario.ScenarioResult;
import io.gatehouse.chaos.scenario.Verdict;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chaos harness in short mode, in CI: a real fleet, every short-mode scenario under load. The
 * build checks that the harness works — every scenario ran to the end and offered its load — and
 * writes the table to {@code target/chaos-short-results.md} (and stdout, in the surefire report).
 * Whether each expectation held is the table's verdict column, not an assertion: its latency bounds
 * are wall-clock numbers on a shared 2-core machine, which tests never assert on (STYLE.md).
 */
class ChaosShortModeTest {

    @Test
    void everyShortModeScenarioRunsToTheEndAgainstARealFleet(@TempDir Path work) throws Exception {
        Assumptions.assumeTrue(onPath("redis-server"), "redis-server not on PATH: skipped");
        Assumptions.assumeTrue(postgresBinaries(), "PostgreSQL server binaries (initdb) not found: skipped");
        Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in chaos/

        List<ScenarioResult> results = ChaosRun.run(root, work, Mode.SHORT, ChaosRun.of(Mode.SHORT));

        String table = ResultsTable.render(ChaosMain.header(Mode.SHORT, root), results);
        System.out.println(table);
        Files.writeString(root.resolve("chaos/target/chaos-short-results.md"), table);
        assertThat(results).hasSameSizeAs(ChaosRun.of(Mode.SHORT));
        assertThat(results).as(table).noneMatch(r -> r.verdict() == Verdict.ERROR);
        assertThat(results).filteredOn(r -> r.verdict() != Verdict.SKIPPED).allSatisfy(r ->
                assertThat(r.streams()).as(r.scenario()).isNotEmpty().allSatisfy(s -> assertThat(s.sent()).isPositive()));
    }

    private static boolean onPath(String command) {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private static boolean postgresBinaries() {
        try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.anyMatch(v -> Files.isExecutable(v.resolve("bin/initdb")));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
