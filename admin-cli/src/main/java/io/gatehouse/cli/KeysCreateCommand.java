package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ApiKeyInfo;
import io.gatehouse.proto.admin.v1.CreateApiKeyRequest;
import io.gatehouse.proto.admin.v1.CreateApiKeyResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse keys create --consumer X [--scope S]... [--route R]... [--name N]}: creates a key
 * and prints it once (the control plane cannot show it again).
 */
@Command(name = "create",
        description = "Create an API key for a consumer of the active config and print it. The key is"
                + " shown only now: store it safely; the control plane keeps only its hash.")
final class KeysCreateCommand extends ControlPlaneCommand {

    @Option(names = "--consumer", required = true, paramLabel = "NAME",
            description = "Consumer (from the config's consumers) the key authenticates as.")
    String consumer;

    @Option(names = "--scope", paramLabel = "SCOPE", description = "Scope granted to the key (repeatable).")
    List<String> scopes = new ArrayList<>();

    @Option(names = "--route", paramLabel = "ROUTE_ID",
            description = "Limit the key to this route (repeatable); default: every route that accepts API keys.")
    List<String> routes = new ArrayList<>();

    @Option(names = "--name", paramLabel = "TEXT", description = "Label shown by `keys list`.")
    String name = "";

    @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
    String reason = "";

    @Override
    protected int run(Output output) {
        CreateApiKeyResponse response = client().admin().createApiKey(CreateApiKeyRequest.newBuilder()
                .setConsumer(consumer)
                .addAllScopes(scopes)
                .addAllRoutes(routes)
                .setName(name)
                .setReason(reason)
                .build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        ApiKeyInfo key = response.getKey();
        output.line(response.getApiKey());
        output.error("created API key " + key.getKeyId() + " for consumer " + key.getConsumer()
                + (key.getScopesCount() == 0 ? "" : ", scopes " + String.join(" ", key.getScopesList()))
                + (key.getRoutesCount() == 0 ? ", all routes" : ", routes " + String.join(" ", key.getRoutesList()))
                + ". It is shown only once: store it now.");
        return ExitCodes.OK;
    }
}
