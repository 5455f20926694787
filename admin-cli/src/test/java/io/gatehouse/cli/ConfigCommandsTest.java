package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.ConfigVersion;
import io.gatehouse.proto.admin.v1.DiffResponse;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsResponse;
import io.gatehouse.proto.admin.v1.ValidateResponse;
import io.gatehouse.proto.admin.v1.VersionInfo;
import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * validate, apply, versions, show, diff and rollback against a real control plane on a fresh
 * PostgreSQL database. Tests share the database, so each applies its own distinct content and
 * asserts on the versions it created, never on absolute numbers.
 */
class ConfigCommandsTest {

    private static final Pattern APPLIED = Pattern.compile("applied version (\\d+) \\(sha ([0-9a-f]{8})\\)");
    private static final Pattern ROLLED_BACK = Pattern.compile(
            "rolled back to the content of version (\\d+) as version (\\d+) \\(sha ([0-9a-f]{8})\\)");

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
    void validateAcceptsValidFileAndStoresNothing() {
        long before = versionCount();
        Path file = ConfigFiles.write(dir, "ok.yaml", ConfigFiles.valid("validate-ok"));

        CliRunner.Result result = cli.run("validate", file.toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).isEqualTo(file + ": valid (2 upstreams, 1 routes)" + System.lineSeparator());
        assertThat(result.err()).isEmpty();
        assertThat(versionCount()).isEqualTo(before);
    }

    @Test
    void validateListsEveryProblemWithItsPathOnStderrAndExits1() {
        Path file = ConfigFiles.write(dir, "bad.yaml", ConfigFiles.invalid());

        CliRunner.Result result = cli.run("validate", file.toString());

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.out()).isEmpty();
        assertThat(result.err().lines().toList())
                .anySatisfy(line -> assertThat(line).startsWith("upstreams[0].targets[0].url: "))
                .anySatisfy(line -> assertThat(line).startsWith("routes[0].upstream: ").contains("nowhere"))
                .anySatisfy(line -> assertThat(line).startsWith("routes[1].id: ").contains("users"))
                .last().asString().isEqualTo(file + ": invalid, " + (result.err().lines().count() - 1) + " errors");
    }

    @Test
    void validateInJsonPrintsTheResponseOnStdout() throws Exception {
        Path file = ConfigFiles.write(dir, "bad.yaml", ConfigFiles.invalid());

        CliRunner.Result result = cli.run("validate", file.toString(), "-o", "json");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.FAILED);
        ValidateResponse response = parse(result.out(), ValidateResponse.newBuilder());
        assertThat(response.getValid()).isFalse();
        assertThat(response.getErrorsList()).extracting(e -> e.getPath())
                .contains("routes[0].upstream", "routes[1].id", "upstreams[0].targets[0].url");
    }

    @Test
    void applyStoresNewActiveVersionThatVersionsListsWithAuthorAndMessage() {
        GatewayConfig config = ConfigFiles.parse(ConfigFiles.valid("apply-new"));
        Path file = ConfigFiles.write(dir, "gateway.yaml", ConfigFiles.valid("apply-new"));

        CliRunner.Result applied = cli.run("apply", file.toString(), "-m", "add apply-new route");
        CliRunner.Result versions = cli.run("versions");

        assertThat(applied.exitCode()).as(applied.toString()).isZero();
        Matcher m = APPLIED.matcher(applied.out().strip());
        assertThat(m.matches()).as(applied.out()).isTrue();
        assertThat(m.group(2)).isEqualTo(ConfigDocuments.sha256(config).substring(0, 8));
        assertThat(versions.exitCode()).isZero();
        String header = versions.out().lines().findFirst().orElseThrow();
        String row = versions.out().lines().skip(1).findFirst().orElseThrow();
        assertThat(header.split("\\s+"))
                .containsExactly("VERSION", "ACTIVE", "CREATED", "AUTHOR", "MESSAGE", "SHA", "ROLLBACK-OF");
        String[] cells = row.split("\\s{2,}");
        assertThat(cells).hasSize(7);
        assertThat(cells[0]).isEqualTo(m.group(1));
        assertThat(cells[1]).isEqualTo("*");
        assertThat(cells[2]).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ");
        assertThat(cells[3]).as("the authenticated caller, not $USER@host").isEqualTo("spiffe://gatehouse/admin/test-admin");
        assertThat(cells[4]).isEqualTo("add apply-new route");
        assertThat(cells[5]).isEqualTo(m.group(2));
        assertThat(cells[6]).isEqualTo("-");
        // Columns are aligned: each cell starts under its header.
        assertThat(row.indexOf("spiffe://gatehouse/admin/test-admin")).isEqualTo(header.indexOf("AUTHOR"));
        assertThat(row.indexOf(m.group(2))).isEqualTo(header.indexOf("SHA"));
    }

    @Test
    void applyingTheActiveContentAgainReportsUnchangedAndStoresNothing() {
        Path file = ConfigFiles.write(dir, "gateway.yaml", ConfigFiles.valid("apply-twice"));
        CliRunner.Result first = cli.run("apply", file.toString(), "-m", "first");
        long count = versionCount();

        CliRunner.Result second = cli.run("apply", file.toString(), "-m", "second");

        assertThat(second.exitCode()).as(second.toString()).isZero();
        assertThat(second.out().strip()).isEqualTo("unchanged: identical to active version " + appliedVersion(first));
        assertThat(versionCount()).isEqualTo(count);
    }

    @Test
    void rejectedApplyListsErrorsExits1AndChangesNothing() {
        Path good = ConfigFiles.write(dir, "good.yaml", ConfigFiles.valid("before-reject"));
        long active = appliedVersion(cli.run("apply", good.toString(), "-m", "baseline"));
        long count = versionCount();
        Path bad = ConfigFiles.write(dir, "bad.yaml", ConfigFiles.invalid());

        CliRunner.Result result = cli.run("apply", bad.toString(), "-m", "broken", "--author", "mallory");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).contains("routes[0].upstream: ", "routes[1].id: ")
                .contains(bad + ": rejected, nothing was applied");
        assertThat(versionCount()).isEqualTo(count);
        assertThat(cp.admin().listVersions(ListVersionsRequest.getDefaultInstance()).getActiveVersion())
                .isEqualTo(active);
    }

    @Test
    void showPrintsYamlThatReadsBackToTheAppliedConfig() throws Exception {
        String yaml = ConfigFiles.valid("show-yaml");
        long version = appliedVersion(cli.run("apply", ConfigFiles.write(dir, "g.yaml", yaml).toString(),
                "-m", "for show"));

        CliRunner.Result result = cli.run("show", Long.toString(version));

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).startsWith("# version " + version + " (active), sha256 ")
                .contains("by spiffe://gatehouse/admin/test-admin: for show");
        assertThat(ConfigDocuments.fromYaml(result.out())).isEqualTo(ConfigFiles.parse(yaml));
    }

    @Test
    void showInJsonPrintsVersionInfoAndConfig() throws Exception {
        String yaml = ConfigFiles.valid("show-json");
        long version = appliedVersion(cli.run("apply", ConfigFiles.write(dir, "g.yaml", yaml).toString(), "-m", "j"));

        CliRunner.Result result = cli.run("-o", "json", "show", Long.toString(version));

        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode tree = new ObjectMapper().readTree(result.out());
        assertThat(tree.path("info").path("version").asText()).isEqualTo(Long.toString(version));
        assertThat(tree.path("config").path("routes").get(0).path("id").asText()).isEqualTo("show-json");
        ConfigVersion parsed = parse(result.out(), ConfigVersion.newBuilder());
        assertThat(parsed.getConfig()).isEqualTo(ConfigFiles.parse(yaml));
    }

    @Test
    void showUnknownVersionExits1WithMessage() {
        CliRunner.Result result = cli.run("show", "987654");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).startsWith("error: ").contains("987654");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void diffBetweenTwoVersionsShowsTheChangedField() {
        long from = appliedVersion(cli.run("apply",
                ConfigFiles.write(dir, "a.yaml", ConfigFiles.valid("diff-v")).toString(), "-m", "a"));
        String changed = ConfigFiles.valid("diff-v")
                .replace("upstream: diff-v-api", "upstream: spare")
                .replace("name: diff-v-api", "name: other");
        long to = appliedVersion(cli.run("apply", ConfigFiles.write(dir, "b.yaml", changed).toString(), "-m", "b"));

        CliRunner.Result result = cli.run("diff", "--from", Long.toString(from), "--to", Long.toString(to));

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out().lines().toList()).containsExactlyInAnyOrder(
                "~ routes[id=diff-v].upstream: \"diff-v-api\" -> \"spare\"",
                "- upstreams[name=diff-v-api]: {\"name\":\"diff-v-api\",\"targets\":[{\"url\":\"http://127.0.0.1:9001\"}]}",
                "+ upstreams[name=other]: {\"name\":\"other\",\"targets\":[{\"url\":\"http://127.0.0.1:9001\"}]}");
    }

    @Test
    void diffAgainstFileComparesTheActiveVersionWithTheFile() throws Exception {
        Path active = ConfigFiles.write(dir, "a.yaml", ConfigFiles.valid("diff-file"));
        long activeVersion = appliedVersion(cli.run("apply", active.toString(), "-m", "a"));
        Path candidate = ConfigFiles.write(dir, "b.yaml", ConfigFiles.valid("diff-file").replace("5s", "7s"));

        CliRunner.Result changed = cli.run("diff", candidate.toString());
        CliRunner.Result same = cli.run("diff", active.toString());
        CliRunner.Result json = cli.run("diff", candidate.toString(), "-o", "json");

        assertThat(changed.exitCode()).as(changed.toString()).isZero();
        assertThat(changed.out().strip()).isEqualTo("~ routes[id=diff-file].timeouts.request: \"5s\" -> \"7s\"");
        assertThat(same.out().strip()).isEqualTo(
                "no differences between version " + activeVersion + " and " + active);
        DiffResponse response = parse(json.out(), DiffResponse.newBuilder());
        assertThat(response.getFromVersion()).isEqualTo(activeVersion);
        assertThat(response.getEntriesCount()).isEqualTo(1);
    }

    @Test
    void rollbackCreatesNewActiveVersionWithTheOldContent() throws Exception {
        String oldYaml = ConfigFiles.valid("rollback-old");
        long old = appliedVersion(cli.run("apply", ConfigFiles.write(dir, "a.yaml", oldYaml).toString(), "-m", "old"));
        appliedVersion(cli.run("apply",
                ConfigFiles.write(dir, "b.yaml", ConfigFiles.valid("rollback-new")).toString(), "-m", "new"));

        CliRunner.Result result = cli.run("rollback", Long.toString(old), "-m", "new one broke checkout");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Matcher m = ROLLED_BACK.matcher(result.out().strip());
        assertThat(m.matches()).as(result.out()).isTrue();
        long created = Long.parseLong(m.group(2));
        assertThat(Long.parseLong(m.group(1))).isEqualTo(old);
        assertThat(created).isGreaterThan(old + 1);
        ListVersionsResponse versions = parse(cli.run("versions", "-o", "json", "--limit", "1").out(),
                ListVersionsResponse.newBuilder());
        VersionInfo newest = versions.getVersions(0);
        assertThat(newest.getVersion()).isEqualTo(created);
        assertThat(newest.getActive()).isTrue();
        assertThat(newest.getRolledBackFrom()).isEqualTo(old);
        assertThat(newest.getSha256()).isEqualTo(ConfigDocuments.sha256(ConfigFiles.parse(oldYaml)));
        assertThat(cp.admin().getVersion(GetVersionRequest.newBuilder().setVersion(created).build()).getConfig())
                .isEqualTo(ConfigFiles.parse(oldYaml));
    }

    @Test
    void rollbackToUnknownVersionExits1AndChangesNothing() {
        cli.run("apply", ConfigFiles.write(dir, "a.yaml", ConfigFiles.valid("rollback-unknown")).toString(), "-m", "a");
        long count = versionCount();

        CliRunner.Result result = cli.run("rollback", "424242", "-m", "no such thing");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).startsWith("error: ").contains("424242");
        assertThat(versionCount()).isEqualTo(count);
    }

    @Test
    void versionsInJsonParsesAndMarksTheActiveVersion() throws Exception {
        ApplyResponse applied = cp.admin().apply(io.gatehouse.proto.admin.v1.ApplyRequest.newBuilder()
                .setConfig(ConfigFiles.parse(ConfigFiles.valid("versions-json")))
                .setAuthor("bob").setMessage("via stub").build());

        CliRunner.Result result = cli.run("versions", "-o", "json");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode tree = new ObjectMapper().readTree(result.out());
        assertThat(tree.path("activeVersion").asText()).isEqualTo(Long.toString(applied.getVersion().getVersion()));
        ListVersionsResponse response = parse(result.out(), ListVersionsResponse.newBuilder());
        assertThat(response.getVersionsList()).filteredOn(VersionInfo::getActive)
                .extracting(VersionInfo::getVersion).containsExactly(applied.getVersion().getVersion());
    }

    private static long appliedVersion(CliRunner.Result applied) {
        Matcher m = APPLIED.matcher(applied.out().strip());
        assertThat(m.matches()).as(applied.toString()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static long versionCount() {
        return cp.admin().listVersions(ListVersionsRequest.newBuilder().setLimit(1000).build()).getVersionsCount();
    }

    @SuppressWarnings("unchecked")
    static <T extends Message> T parse(String json, Message.Builder builder) throws Exception {
        JsonFormat.parser().merge(json, builder);
        return (T) builder.build();
    }
}
