package io.gatehouse.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Behaviour that needs no control plane: argument parsing, usage errors, file errors and an
 * unreachable or silent server.
 */
class CommandLineTest {

    private static String deadAddress;
    private static CliRunner cli;

    @TempDir
    Path dir;

    @BeforeAll
    static void findPortNobodyListensOn() throws IOException {
        // Bind an ephemeral port, then release it: connecting to it is refused.
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadAddress = "127.0.0.1:" + socket.getLocalPort();
        }
        cli = CliRunner.against(deadAddress);
    }

    @Test
    void unknownOptionIsUsageErrorExit2() {
        CliRunner.Result result = cli.run("versions", "--bogus");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("Unknown option: '--bogus'").contains("gatehouse versions --help");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void unknownSubcommandAndMissingSubcommandAreUsageErrors() {
        assertThat(cli.run("deploy").exitCode()).isEqualTo(ExitCodes.USAGE);
        CliRunner.Result none = cli.run();
        assertThat(none.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("Missing required subcommand");
    }

    @Test
    void applyWithoutMessageIsUsageError() throws IOException {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), "upstreams: []\n");

        CliRunner.Result result = cli.run("apply", file.toString());

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("--message");
    }

    @Test
    void blankMessageIsUsageError() {
        CliRunner.Result result = cli.run("rollback", "3", "-m", "  ");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("must not be blank");
    }

    @Test
    void nonPositiveVersionIsUsageError() {
        CliRunner.Result result = cli.run("show", "0");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("VERSION must be a version number >= 1");
    }

    @Test
    void diffRejectsBothToVersionAndFileAndRejectsNothingToCompare() throws IOException {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), "upstreams: []\n");

        CliRunner.Result both = cli.run("diff", "--to", "2", file.toString());
        CliRunner.Result neither = cli.run("diff");

        assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("either --to N or FILE");
        assertThat(neither.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(neither.err()).contains("nothing to compare");
    }

    @Test
    void malformedOptionValuesAreUsageErrors() {
        assertThat(cli.run("versions", "-o", "xml").err()).contains("not one of table, json, yaml");
        assertThat(cli.run("versions", "-o", "xml").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("--server", "nocolon", "versions").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("--timeout", "0s", "versions").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("versions", "--limit", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void malformedServerEnvironmentVariableIsUsageErrorNamingTheVariable() {
        CliRunner.Result result = cli.withEnv(CliEnvironment.SERVER_VARIABLE, "no-port").run("versions");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("$GATEHOUSE_CP_ADDRESS").contains("not host:port");
    }

    @Test
    void helpAndVersionExitZero() {
        CliRunner.Result help = cli.run("--help");
        CliRunner.Result subcommandHelp = cli.run("apply", "--help");
        CliRunner.Result version = cli.run("--version");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("validate", "apply", "diff", "versions", "show", "rollback", "dataplanes");
        assertThat(subcommandHelp.exitCode()).isZero();
        assertThat(subcommandHelp.out()).contains("--message=MSG", "--server=HOST:PORT", "--token-file=FILE").doesNotContain("--author");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("gatehouse ");
    }

    @Test
    void missingFileIsValidationErrorNamingTheFile() {
        Path missing = dir.resolve("nope.yaml");

        CliRunner.Result result = cli.run("validate", missing.toString());

        // Exit 1 (not 3): the file is checked before the control plane is contacted.
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).isEqualTo(missing + ": no such file" + System.lineSeparator());
    }

    @Test
    void unparseableYamlIsValidationErrorNamingTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("broken.yaml"), "routes:\n  - id: a\n    colour: blue\n");

        CliRunner.Result result = cli.run("apply", file.toString(), "-m", "typo");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).startsWith(file + ": ").contains("colour");
    }

    @Test
    void unreachableServerExits3NamingTheAddress() {
        CliRunner.Result result = cli.run("versions");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(result.err()).startsWith("cannot reach control plane at " + deadAddress + ": ");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void serverOptionAfterTheSubcommandOverridesTheEnvironment() {
        CliRunner.Result result = CliRunner.against("127.0.0.1:1").run("dataplanes", "--server", deadAddress);

        assertThat(result.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(result.err()).contains(deadAddress);
    }

    @Test
    void serverThatNeverAnswersExits3AfterTheTimeout() throws IOException {
        // A listening socket nobody accepts on: TCP connects, gRPC never gets an answer.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + silent.getLocalPort();

            CliRunner.Result result = cli.run("--server", address, "--timeout", "300ms", "versions");

            assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.UNREACHABLE);
            assertThat(result.err()).startsWith("cannot reach control plane at " + address + ": ");
        }
    }

    @Test
    void defaultAuthorIsUserAtHostname() {
        CliEnvironment env = new CliEnvironment(Map.of("USER", "alice"), Clock.systemUTC(), () -> "box-1");

        assertThat(env.defaultAuthor()).isEqualTo("alice@box-1");
        assertThat(new CliEnvironment(Map.of(), Clock.systemUTC(), () -> "box-1").defaultAuthor())
                .as("without $USER the JVM's user name stands in")
                .isEqualTo(System.getProperty("user.name") + "@box-1");
    }

    @Test
    void completionScriptCoversEverySubcommandAndIsListedInTheHelp() {
        CliRunner.Result completion = cli.run("generate-completion");
        assertThat(completion.exitCode()).isEqualTo(0);
        assertThat(completion.out()).startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_gatehouse")
                .contains("apply").contains("dataplanes").contains("rollback").contains("certs")
                // option values too: -o completes to the three formats
                .contains("(\"table\" \"json\" \"yaml\")")
                // issue 17: the rollout group, its subcommands and the new options, from the same model
                .contains("rollout").contains("promote").contains("--watch").contains("--expect-changes")
                .contains("--rollout").contains("--wide");
        assertThat(cli.run("--help").out()).contains("generate-completion");
    }

    @Test
    void everyUsageTextRendersWithoutPicocliWarnings() {
        // picocli reads descriptions as format strings: a bare '%' (as in a plan's "50%") makes it warn on
        // System.err and print the raw text. The warning goes to the process's stderr, so catch it there.
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.err;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            usage(GatehouseCommand.newCommandLine(new CliEnvironment(Map.of(), Clock.systemUTC(), () -> "box")));
        } finally {
            System.setErr(original);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    private static void usage(picocli.CommandLine command) {
        assertThat(command.getUsageMessage()).isNotBlank();
        command.getSubcommands().values().forEach(CommandLineTest::usage);
    }

    @Test
    void versionNamesTheCommitItWasBuiltFrom() {
        java.util.jar.Attributes manifest = new java.util.jar.Attributes();
        assertThat(VersionProvider.build(null)).isEqualTo("(commit unknown)");
        manifest.putValue("Gatehouse-Commit", "${git.commit.id.abbrev}");
        assertThat(VersionProvider.build(manifest)).isEqualTo("(commit unknown)");
        manifest.putValue("Gatehouse-Commit", "3f2a9c1d0e");
        manifest.putValue("Gatehouse-Commit-Time", "2026-12-01T05:12:14Z");
        manifest.putValue("Gatehouse-Commit-Dirty", "false");
        assertThat(VersionProvider.build(manifest)).isEqualTo("(commit 3f2a9c1d0e, 2026-12-01T05:12:14Z)");
        manifest.putValue("Gatehouse-Commit-Dirty", "true");
        assertThat(VersionProvider.build(manifest)).isEqualTo("(commit 3f2a9c1d0e with uncommitted changes, 2026-12-01T05:12:14Z)");
        assertThat(cli.run("--version").out()).startsWith("gatehouse ");
    }
}
