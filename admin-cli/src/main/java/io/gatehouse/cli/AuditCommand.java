package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.AuditEntry;
import io.gatehouse.proto.admin.v1.ListAuditRequest;
import io.gatehouse.proto.admin.v1.ListAuditResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse audit [--limit N]}: who changed what, when and why (role operator). */
@Command(name = "audit", description = "The audit trail, newest first: applies, rollbacks, API keys, tokens,"
        + " secrets and KEK rotations, each with the authenticated principal and the reason given.")
final class AuditCommand extends ControlPlaneCommand {

    @Option(names = "--limit", paramLabel = "N", description = "At most N entries (default 50).")
    int limit;

    @Override
    protected int run(Output output) {
        if (limit < 0) {
            throw usageError("--limit must not be negative");
        }
        ListAuditResponse response = client().admin().listAudit(ListAuditRequest.newBuilder().setLimit(limit).build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        Table table = new Table("ID", "AT", "PRINCIPAL", "ACTION", "TARGET", "REASON");
        for (AuditEntry e : response.getEntriesList()) {
            table.row(Long.toString(e.getId()), Output.timestamp(e.getAt()), e.getPrincipal(), e.getAction(),
                    e.getTarget(), e.getReason().isEmpty() ? null : e.getReason());
        }
        output.table(table);
        return ExitCodes.OK;
    }
}
