package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.WhoAmIRequest;
import io.gatehouse.proto.admin.v1.WhoAmIResponse;
import picocli.CommandLine.Command;

/** {@code gatehouse whoami}: the principal and role the control plane takes this caller for. */
@Command(name = "whoami", description = "Who the control plane takes you for (token name or certificate) and your role.")
final class WhoAmICommand extends ControlPlaneCommand {

    @Override
    protected int run(Output output) {
        WhoAmIResponse response = client().admin().whoAmI(WhoAmIRequest.getDefaultInstance());
        if (output.isStructured()) {
            output.structured(response);
        } else {
            output.line(response.getPrincipal() + " (role " + TokensCommand.label(response.getRole()) + ", by "
                    + response.getMethod() + ")");
        }
        return ExitCodes.OK;
    }
}
