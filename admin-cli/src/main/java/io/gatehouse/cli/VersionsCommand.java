package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ListVersionsRequest;
import io.gatehouse.proto.admin.v1.ListVersionsResponse;
import io.gatehouse.proto.admin.v1.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse versions}: the version history, newest first, the active one marked. */
@Command(name = "versions", description = "List stored config versions, newest first; '*' marks the active one.")
final class VersionsCommand extends ControlPlaneCommand {

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "Show at most N versions (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    protected int run(Output output) {
        if (limit < 1) {
            throw usageError("--limit must be >= 1, not " + limit);
        }
        ListVersionsResponse response = client().admin()
                .listVersions(ListVersionsRequest.newBuilder().setLimit(limit).build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        if (response.getVersionsCount() == 0) {
            output.line("no versions yet: apply a config with 'gatehouse apply FILE -m MSG'");
            return ExitCodes.OK;
        }
        Table table = new Table("VERSION", "ACTIVE", "CREATED", "AUTHOR", "MESSAGE", "SHA", "ROLLBACK-OF");
        for (VersionInfo v : response.getVersionsList()) {
            table.row(v.getVersion(),
                    v.getActive() ? "*" : "",
                    Output.timestamp(v.getCreatedAt()),
                    v.getAuthor(),
                    v.getMessage(),
                    Output.shortSha(v.getSha256()),
                    v.getRolledBackFrom() == 0 ? null : v.getRolledBackFrom());
        }
        output.table(table);
        return ExitCodes.OK;
    }
}
