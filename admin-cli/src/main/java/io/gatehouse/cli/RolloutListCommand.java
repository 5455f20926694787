package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ListRolloutsRequest;
import io.gatehouse.proto.admin.v1.ListRolloutsResponse;
import io.gatehouse.proto.admin.v1.Rollout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse rollout list [--limit N]}: rollouts, newest first. */
@Command(name = "list", description = "List rollouts, newest first: state, versions, plan, current wave, reason.")
final class RolloutListCommand extends ControlPlaneCommand {

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "Show at most N rollouts (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    protected int run(Output output) {
        if (limit < 1) {
            throw usageError("--limit must be >= 1, not " + limit);
        }
        ListRolloutsResponse response = client().admin().listRollouts(ListRolloutsRequest.newBuilder()
                .setLimit(limit).build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        if (response.getRolloutsCount() == 0) {
            output.line("no rollouts yet: start one with 'gatehouse apply FILE -m MSG --rollout PLAN'");
            return ExitCodes.OK;
        }
        Table table = new Table("ID", "STATE", "FROM", "TO", "PLAN", "WAVE", "CREATED", "AUTHOR", "REASON");
        for (Rollout r : response.getRolloutsList()) {
            table.row(r.getId(),
                    r.getState().name(),
                    r.getFromVersion(),
                    r.getToVersion(),
                    r.getPlan(),
                    r.getWavesCount() == 0 ? null : r.getCurrentWave() + "/" + (r.getWavesCount() - 1),
                    Output.timestamp(r.getCreatedAt()),
                    r.getAuthor(),
                    r.getReason().isEmpty() ? null : r.getReason());
        }
        output.table(table);
        return ExitCodes.OK;
    }
}
