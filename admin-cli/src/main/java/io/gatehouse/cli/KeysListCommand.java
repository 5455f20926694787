package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ApiKeyInfo;
import io.gatehouse.proto.admin.v1.ListApiKeysRequest;
import io.gatehouse.proto.admin.v1.ListApiKeysResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse keys list [--consumer X] [--all]}: key metadata, never key material. */
@Command(name = "list", description = "List API keys (ids and metadata; keys themselves are never shown).")
final class KeysListCommand extends ControlPlaneCommand {

    @Option(names = "--consumer", paramLabel = "NAME", description = "Only this consumer's keys.")
    String consumer = "";

    @Option(names = "--all", description = "Include revoked keys.")
    boolean all;

    @Override
    protected int run(Output output) {
        ListApiKeysResponse response = client().admin().listApiKeys(ListApiKeysRequest.newBuilder()
                .setConsumer(consumer)
                .setIncludeRevoked(all)
                .build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        if (response.getKeysCount() == 0) {
            output.line("no API keys" + (consumer.isEmpty() ? "" : " for consumer " + consumer));
            return ExitCodes.OK;
        }
        Table table = new Table("KEY ID", "CONSUMER", "NAME", "SCOPES", "ROUTES", "CREATED", "REVOKED");
        for (ApiKeyInfo key : response.getKeysList()) {
            table.row(key.getKeyId(),
                    key.getConsumer(),
                    key.getName().isEmpty() ? null : key.getName(),
                    key.getScopesCount() == 0 ? null : String.join(",", key.getScopesList()),
                    key.getRoutesCount() == 0 ? "*" : String.join(",", key.getRoutesList()),
                    Output.timestamp(key.getCreatedAt()),
                    key.getRevoked() ? Output.timestamp(key.getRevokedAt()) : null);
        }
        output.table(table);
        return ExitCodes.OK;
    }
}
