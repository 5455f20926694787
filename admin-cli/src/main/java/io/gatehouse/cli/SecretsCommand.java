package io.gatehouse.cli;

import com.google.protobuf.ByteString;
import io.gatehouse.proto.admin.v1.DeleteSecretRequest;
import io.gatehouse.proto.admin.v1.ListSecretsRequest;
import io.gatehouse.proto.admin.v1.ListSecretsResponse;
import io.gatehouse.proto.admin.v1.RotateKekRequest;
import io.gatehouse.proto.admin.v1.RotateKekResponse;
import io.gatehouse.proto.admin.v1.SecretInfo;
import io.gatehouse.proto.admin.v1.SetSecretRequest;
import io.gatehouse.proto.admin.v1.SetSecretResponse;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code gatehouse secrets}: named secrets that configs refer to ({@code jwksSecret: NAME}), stored
 * encrypted by the control plane. Values go in from a file (never from the command line, which
 * {@code ps} shows) and never come out.
 */
@Command(name = "secrets",
        description = "Manage secrets that configs refer to by name (e.g. jwtProviders[].jwksSecret). Values are"
                + " encrypted at rest, reach data planes only over mutual TLS, and are never shown again.",
        subcommands = {
                SecretsCommand.Set.class,
                SecretsCommand.ListSecrets.class,
                SecretsCommand.Remove.class,
                SecretsCommand.RotateKek.class,
        })
final class SecretsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: set, list, rm or rotate-kek");
    }

    @Command(name = "set", description = "Store a secret's value from a file (a new version if it exists; data planes"
            + " get it with their next snapshot).")
    static final class Set extends ControlPlaneCommand {

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--from-file", required = true, paramLabel = "FILE", description = "File holding the value.")
        Path file;

        @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
        String reason = "";

        @Override
        protected int run(Output output) {
            byte[] value;
            try {
                value = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new CliException(ExitCodes.FAILED, file + ": no such file");
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILED, file + ": cannot read (" + e.getClass().getSimpleName() + ")");
            }
            SetSecretResponse response = client().admin().setSecret(SetSecretRequest.newBuilder().setName(name)
                    .setValue(ByteString.copyFrom(value)).setReason(reason).build());
            if (output.isStructured()) {
                output.structured(response);
            } else if (response.getChanged()) {
                output.line("secret " + name + " set (version " + response.getInfo().getVersion() + ", "
                        + response.getInfo().getSizeBytes() + " bytes)");
            } else {
                output.line("unchanged: secret " + name + " already has this value (version "
                        + response.getInfo().getVersion() + ")");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "Names, versions and who set them; never values.")
    static final class ListSecrets extends ControlPlaneCommand {
        @Override
        protected int run(Output output) {
            ListSecretsResponse response = client().admin().listSecrets(ListSecretsRequest.getDefaultInstance());
            if (output.isStructured()) {
                output.structured(response);
                return ExitCodes.OK;
            }
            Table table = new Table("NAME", "VERSION", "SIZE", "UPDATED", "BY", "KEK KEY");
            for (SecretInfo s : response.getSecretsList()) {
                table.row(s.getName(), Long.toString(s.getVersion()), s.getSizeBytes() + " B",
                        Output.timestamp(s.getUpdatedAt()), s.getUpdatedBy(), Long.toString(s.getKekKeyId()));
            }
            output.table(table);
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", description = "Remove a secret (refused while the active config refers to it).")
    static final class Remove extends ControlPlaneCommand {

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
        String reason = "";

        @Override
        protected int run(Output output) {
            client().admin().deleteSecret(DeleteSecretRequest.newBuilder().setName(name).setReason(reason).build());
            output.line("removed secret " + name);
            return ExitCodes.OK;
        }
    }

    @Command(name = "rotate-kek", description = "After a new primary key was added to the control planes' KEK file"
            + " (gatehouse kek rotate FILE): re-wrap every secret's data key with it. Then the old key can be dropped"
            + " (gatehouse kek prune FILE). Role admin.")
    static final class RotateKek extends ControlPlaneCommand {

        @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
        String reason = "";

        @Override
        protected int run(Output output) {
            RotateKekResponse response = client().admin().rotateKek(RotateKekRequest.newBuilder().setReason(reason).build());
            if (output.isStructured()) {
                output.structured(response);
            } else {
                output.line("re-wrapped " + response.getRewrapped() + " secret data key(s) with KEK key "
                        + response.getPrimaryKeyId());
            }
            return ExitCodes.OK;
        }
    }
}
