package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ValidateRequest;
import io.gatehouse.proto.admin.v1.ValidateResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code gatehouse validate FILE}: runs the control plane's rules on a file; stores nothing. */
@Command(name = "validate",
        description = "Check a YAML config file against the control plane's rules. Nothing is stored."
                + " Prints every problem as 'path: reason' on stderr; exit 1 if there is any.")
final class ValidateCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "FILE", description = "YAML config file.")
    Path file;

    @Override
    protected int run(Output output) {
        GatewayConfig config = ConfigFile.read(file);
        ValidateResponse response = client().admin()
                .validate(ValidateRequest.newBuilder().setConfig(config).build());
        if (output.isStructured()) {
            output.structured(response);
        } else {
            output.validationWarnings(response.getWarningsList());
        }
        if (response.getValid()) {
            if (!output.isStructured()) {
                output.line(file + ": valid (" + config.getUpstreamsCount() + " upstreams, "
                        + config.getRoutesCount() + " routes)");
            }
            return ExitCodes.OK;
        }
        output.validationErrors(response.getErrorsList());
        output.error(file + ": invalid, " + plural(response.getErrorsCount(), "error"));
        return ExitCodes.FAILED;
    }

    static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
