package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.RevokeApiKeyRequest;
import io.gatehouse.proto.admin.v1.RevokeApiKeyResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse keys revoke KEY_ID}: data planes stop accepting the key within seconds. */
@Command(name = "revoke", description = "Revoke an API key by its id; data planes reject it from their next"
        + " snapshot (seconds).")
final class KeysRevokeCommand extends ControlPlaneCommand {

    @Parameters(index = "0", paramLabel = "KEY_ID", description = "Id of the key, as shown by `keys list`.")
    String keyId;

    @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
    String reason = "";

    @Override
    protected int run(Output output) {
        RevokeApiKeyResponse response = client().admin().revokeApiKey(RevokeApiKeyRequest.newBuilder()
                .setKeyId(keyId)
                .setReason(reason)
                .build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        output.line(response.getAlreadyRevoked()
                ? "API key " + keyId + " was already revoked at " + Output.timestamp(response.getKey().getRevokedAt())
                : "revoked API key " + keyId + " of consumer " + response.getKey().getConsumer());
        return ExitCodes.OK;
    }
}
