package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.admin.v1.RollbackRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse rollback N -m MSG [--rollout PLAN]}: makes a new version with version N's content,
 * active at once or through a rollout. History is never rewritten, so a rollback can itself be
 * rolled back.
 */
@Command(name = "rollback",
        description = "Create a new version whose content equals VERSION's and make it active."
                + " History is never rewritten.")
final class RollbackCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "VERSION", description = "Version whose content to restore.")
    long version;

    @Option(names = {"-m", "--message"}, required = true, paramLabel = "MSG",
            description = "Why the rollback is made; kept in the version history.")
    String message;

    @Option(names = "--author", paramLabel = "A", hidden = true,
            description = "Ignored: the control plane records who authenticated (token name or certificate).")
    String author;

    @Mixin
    RolloutOptions rollout;

    @Override
    protected int run(Output output) {
        warnAuthorIgnored(author, output);
        requireVersion(version, "VERSION");
        requireMessage(message);
        RolloutOptions.Checked plan = rollout.check(spec.commandLine());
        ApplyResponse response = client().admin().rollback(RollbackRequest.newBuilder()
                .setToVersion(version)
                .setMessage(message)
                .setRollout(plan.plan())
                .addAllExpectChanges(plan.expectChanges())
                .build());
        return ApplyCommand.report(response, "rollback to version " + version,
                "rolled back to the content of version " + version + " as version",
                "staged the content of version " + version + " as version", output);
    }
}
