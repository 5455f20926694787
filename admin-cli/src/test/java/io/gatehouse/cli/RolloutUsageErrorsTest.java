package io.gatehouse.cli;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plan or an expectation the CLI can tell is wrong never reaches the control plane: exit 2 with
 * every problem listed, and no version stored (checked on a real control plane). The control plane
 * parses plans again and decides; this is the fast, complete answer for a typo.
 */
class RolloutUsageErrorsTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    private static CliRunner cli;

    @TempDir
    Path dir;

    @BeforeAll
    static void connectCli() {
        cli = CliRunner.against(cp.target());
    }

    @Test
    void applyWithABrokenPlanListsEveryProblemAndStoresNothing() {
        long before = versionCount();
        Path file = ConfigFiles.write(dir, "a.yaml", ConfigFiles.valid("plan-typo"));

        CliRunner.Result result = cli.run("apply", file.toString(), "-m", "typo",
                "--rollout", "region=eu@2x, planet=mars, , all");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).startsWith("invalid --rollout \"region=eu@2x, planet=mars, , all\":");
        assertThat(result.err().lines().filter(l -> l.startsWith("  step ")).toList())
                .hasSize(3)
                .anySatisfy(l -> assertThat(l).startsWith("  step 1").contains("2x"))
                .anySatisfy(l -> assertThat(l).startsWith("  step 2").contains("planet=mars"))
                .anySatisfy(l -> assertThat(l).startsWith("  step 3"));
        assertThat(result.err()).contains("Try 'gatehouse apply --help'");
        assertThat(versionCount()).isEqualTo(before);
    }

    @Test
    void planAndExpectationProblemsAreReportedTogether() {
        long before = versionCount();
        Path file = ConfigFiles.write(dir, "b.yaml", ConfigFiles.valid("both-wrong"));

        CliRunner.Result result = cli.run("apply", file.toString(), "-m", "x", "--rollout", "",
                "--expect-changes", "orders,route=Bad!Id", "--expect-changes", "route=fine");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("invalid --rollout \"\":", "the plan is empty",
                "--expect-changes \"orders\": write route=ID, e.g. route=orders",
                "--expect-changes \"route=Bad!Id\": \"Bad!Id\" is not a route id");
        assertThat(result.err()).doesNotContain("\"route=fine\"");
        assertThat(versionCount()).isEqualTo(before);
    }

    @Test
    void rollbackChecksItsPlanTooAndPlanTextIsEchoedEscaped() {
        long before = versionCount();

        CliRunner.Result result = cli.run("rollback", "1", "-m", "undo", "--rollout", "\u001b[2Jall@1x");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).startsWith("invalid --rollout \"\\u{1b}[2Jall@1x\":").doesNotContain("\u001b");
        assertThat(versionCount()).isEqualTo(before);
    }

    @Test
    void rolloutWithoutSubcommandIsAUsageErrorNamingThem() {
        CliRunner.Result result = cli.run("rollout");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("missing subcommand: status, list, pause, resume, promote or abort");
    }

    @Test
    void rolloutIdsMustBePositive() {
        for (String command : new String[] {"status", "pause", "resume", "promote", "abort"}) {
            CliRunner.Result result = cli.run("rollout", command, "0");
            assertThat(result.exitCode()).as(command + ": " + result).isEqualTo(ExitCodes.USAGE);
            assertThat(result.err()).as(command).contains("ID must be a rollout id >= 1");
        }
    }

    private static long versionCount() {
        return cp.admin().listVersions(ListVersionsRequest.newBuilder().setLimit(1000).build()).getVersionsCount();
    }
}
