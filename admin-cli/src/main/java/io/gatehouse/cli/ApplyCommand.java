package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.config.v1.GatewayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * {@code gatehouse apply FILE -m MSG [--rollout PLAN]}: stores the file as a new version if it is
 * valid and differs from the active one, and makes it active at once or through a rollout.
 */
@Command(name = "apply",
        description = "Validate a YAML config file and, if valid and different from the active version,"
                + " store it as a new version and make it active. Data planes receive it within moments,"
                + " or wave by wave with --rollout (see `gatehouse rollout status`).")
final class ApplyCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "FILE", description = "YAML config file.")
    Path file;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG",
            description = "Why this change is made; kept in the version history.")
    String message;

    @Option(names = "--author", paramLabel = "A", hidden = true,
            description = "Ignored: the control plane records who authenticated (token name or certificate).")
    String author;

    @Mixin
    RolloutOptions rollout;

    @Override
    protected int run(Output output) {
        warnAuthorIgnored(author, output);
        requireMessage(message);
        RolloutOptions.Checked plan = rollout.check(spec.commandLine());
        GatewayConfig config = ConfigFile.read(file);
        ApplyResponse response = client().admin().apply(ApplyRequest.newBuilder()
                .setConfig(config)
                .setMessage(message)
                .setRollout(plan.plan())
                .addAllExpectChanges(plan.expectChanges())
                .build());
        return report(response, file.toString(), "applied version", "staged version", output);
    }

    /**
     * Prints an apply or rollback result; shared with {@link RollbackCommand}. {@code appliedPrefix}
     * and {@code stagedPrefix} start the line naming the new version when it became active at once
     * or when a rollout delivers it.
     */
    static int report(ApplyResponse response, String subject, String appliedPrefix, String stagedPrefix,
            Output output) {
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
            case STAGED -> {
                if (!output.isStructured()) {
                    Rollout rollout = response.getRollout();
                    output.line(stagedPrefix + " " + response.getVersion().getVersion()
                            + " (sha " + Output.shortSha(response.getVersion().getSha256()) + "); active version "
                            + rollout.getFromVersion() + " stays active until the rollout succeeds");
                    output.line("rollout " + rollout.getId() + ": " + LogText.escaped(rollout.getPlan()));
                    output.line("rollout " + rollout.getId() + " started; follow it with: gatehouse rollout status");
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
