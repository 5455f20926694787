package io.gatehouse.cli;

import com.google.protobuf.util.JsonFormat;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApiKeyInfo;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ListApiKeysResponse;
import io.gatehouse.proto.config.v1.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** keys create/list/revoke against a real control plane on a fresh database. */
class KeysCommandsTest {

    private static final Pattern KEY = Pattern.compile("^ghk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$", Pattern.MULTILINE);

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    private static CliRunner cli;

    @BeforeAll
    static void connectCli() {
        cli = CliRunner.against(cp.target());
        assertThat(cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(1).toBuilder()
                .addConsumers(Consumer.newBuilder().setName("acme").setTenant("acme-corp").setPlan("pro"))
                .addConsumers(Consumer.newBuilder().setName("globex")))
                .build()).getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
    }

    /** Runs {@code keys create} and returns {key, keyId}. */
    private static String[] create(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "keys";
        all[1] = "create";
        System.arraycopy(args, 0, all, 2, args.length);
        CliRunner.Result result = cli.run(all);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        Matcher m = KEY.matcher(result.out().strip());
        assertThat(m.matches()).as(result.toString()).isTrue();
        return new String[]{result.out().strip(), m.group(1)};
    }

    @Test
    void createPrintsTheKeyOnceOnStdoutAndDetailsOnStderr() {
        CliRunner.Result result = cli.run("keys", "create", "--consumer", "acme", "--scope", "orders:read",
                "--scope", "orders:write", "--route", "r1", "--name", "ci");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out().strip()).matches(KEY);
        assertThat(result.err()).contains("for consumer acme, scopes orders:read orders:write, routes r1")
                .contains("shown only once");
    }

    @Test
    void listShowsMetadataButNeverTheKey() throws Exception {
        String[] created = create("--consumer", "globex", "--scope", "billing:read", "--name", "listed");

        CliRunner.Result table = cli.run("keys", "list", "--consumer", "globex");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out()).contains("KEY ID", "CONSUMER", created[1], "globex", "billing:read", "listed")
                .doesNotContain(created[0]).doesNotContain(created[0].substring(created[0].lastIndexOf('_') + 1));
        assertThat(table.out()).doesNotContain("acme");

        CliRunner.Result json = cli.run("keys", "list", "-o", "json");
        ListApiKeysResponse.Builder parsed = ListApiKeysResponse.newBuilder();
        JsonFormat.parser().merge(json.out(), parsed);
        assertThat(parsed.getKeysList()).extracting(ApiKeyInfo::getKeyId).contains(created[1]);
        assertThat(json.out()).doesNotContain(created[0]);
    }

    @Test
    void revokeHidesTheKeyFromListUnlessAllIsGiven() {
        String[] created = create("--consumer", "acme");

        CliRunner.Result revoked = cli.run("keys", "revoke", created[1]);
        assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
        assertThat(revoked.out()).contains("revoked API key " + created[1] + " of consumer acme");
        assertThat(cli.run("keys", "list").out()).doesNotContain(created[1]);
        assertThat(cli.run("keys", "list", "--all").out()).contains(created[1]);

        CliRunner.Result again = cli.run("keys", "revoke", created[1]);
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("was already revoked");
    }

    @Test
    void unknownConsumerOrKeyIsAnOperationErrorAndMissingOptionsAUsageError() {
        CliRunner.Result unknownConsumer = cli.run("keys", "create", "--consumer", "nobody");
        assertThat(unknownConsumer.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(unknownConsumer.err()).contains("unknown consumer 'nobody'");
        assertThat(unknownConsumer.out()).isEmpty();

        CliRunner.Result unknownKey = cli.run("keys", "revoke", "0123456789abcdef");
        assertThat(unknownKey.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(unknownKey.err()).contains("no API key with id 0123456789abcdef");

        assertThat(cli.run("keys", "create").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("keys").exitCode()).isEqualTo(ExitCodes.USAGE);
    }
}
