package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import picocli.CommandLine.Command;

/** {@code gatehouse dataplanes}: every known data plane, what it runs and how far behind it is. */
@Command(name = "dataplanes",
        description = "List the data planes known to the control plane: connection, ACKed version,"
                + " how many versions behind the active one, last contact and last NACK error.")
final class DataPlanesCommand extends ControlPlaneCommand {

    @Override
    protected int run(Output output) {
        ListDataPlanesResponse response = client().admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance());
        if (output.isJson()) {
            output.json(response);
            return ExitCodes.OK;
        }
        if (response.getDataPlanesCount() == 0) {
            output.line("no data planes have connected (active version "
                    + (response.getActiveVersion() == 0 ? "none" : response.getActiveVersion()) + ")");
            return ExitCodes.OK;
        }
        Table table = new Table("ID", "REGION", "CONNECTED", "VERSION", "BEHIND", "LAST SEEN", "LAST NACK ERROR");
        for (DataPlaneStatus dp : response.getDataPlanesList()) {
            table.row(dp.getId(),
                    dp.getRegion().isEmpty() ? null : dp.getRegion(),
                    dp.getConnected() ? "yes" : "no",
                    dp.getAckedVersion() == 0 ? null : dp.getAckedVersion(),
                    dp.getBehindBy(),
                    output.ago(dp.getLastSeen()),
                    dp.getLastNackError().isEmpty() ? null
                            : "v" + dp.getLastNackVersion() + ": " + dp.getLastNackError());
        }
        output.table(table);
        return ExitCodes.OK;
    }
}
