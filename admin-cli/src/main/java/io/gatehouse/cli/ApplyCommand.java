package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * {@code gatehouse apply FILE -m MSG}: stores the file as a new active version if it is valid and
 * differs from the active one.
 */
@Command(name = "apply",
        description = "Validate a YAML config file and, if valid and different from the active version,"
                + " store it as a new version and make it active. Data planes receive it within moments.")
final class ApplyCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "FILE", description = "YAML config file.")
    Path file;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG",
            description = "Why this change is made; kept in the version history.")
    String message;

    @Option(names = "--author", paramLabel = "A", hidden = true,
            description = "Ignored: the control plane records who authenticated (token name or certificate).")
    String author;

    @Override
    protected int run(Output output) {
        warnAuthorIgnored(author, output);
        requireMessage(message);
        GatewayConfig config = ConfigFile.read(file);
        ApplyResponse response = client().admin().apply(ApplyRequest.newBuilder()
                .setConfig(config)
                .setMessage(message)
                .build());
        return report(response, file.toString(), "applied version", output);
    }

    /** Prints an apply or rollback result; shared with {@link RollbackCommand}. */
    static int report(ApplyResponse response, String subject, String appliedPrefix, Output output) {
        if (output.isStructured()) {
            output.structured(response);
        } else {
            output.validationWarnings(response.getWarningsList());
        }
        switch (response.getOutcome()) {
            case APPLIED -> {
                if (!output.isStructured()) {
                    output.line(appliedPrefix + " " + response.getVersion().getVersion()
                            + " (sha " + Output.shortSha(response.getVersion().getSha256()) + ")");
                }
                return ExitCodes.OK;
            }
            case UNCHANGED -> {
                if (!output.isStructured()) {
                    output.line("unchanged: identical to active version " + response.getVersion().getVersion());
                }
                return ExitCodes.OK;
            }
            case REJECTED -> {
                output.validationErrors(response.getErrorsList());
                output.error(subject + ": rejected, nothing was applied ("
                        + ValidateCommand.plural(response.getErrorsCount(), "error") + ")");
                return ExitCodes.FAILED;
            }
            default -> {
                output.error(subject + ": the control plane answered with outcome " + response.getOutcome());
                return ExitCodes.FAILED;
            }
        }
    }
}
