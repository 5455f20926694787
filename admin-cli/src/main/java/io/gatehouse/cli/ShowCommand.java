package io.gatehouse.cli;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.ConfigVersion;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse show [N]}: one stored version. Table format prints the config as YAML (with
 * the metadata as comments, so the output can be edited and applied again); JSON prints the whole
 * {@code ConfigVersion} message ({@code info} + {@code config}).
 */
@Command(name = "show",
        description = "Print a stored version's config as YAML (metadata as # comments), or with -o json"
                + " the version's metadata and config as JSON.")
final class ShowCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "VERSION", arity = "0..1", description = "Version number (default: the active version).")
    Long version;

    @Override
    protected int run(Output output) {
        long requested = version == null ? 0 : requireVersion(version, "VERSION");
        ConfigVersion found = client().admin().getVersion(GetVersionRequest.newBuilder().setVersion(requested).build());
        if (output.isStructured()) {
            output.structured(found);
            return ExitCodes.OK;
        }
        VersionInfo info = found.getInfo();
        output.line("# version " + info.getVersion() + (info.getActive() ? " (active)" : "")
                + ", sha256 " + info.getSha256());
        output.line("# created " + Output.timestamp(info.getCreatedAt()) + " by " + LogText.escaped(info.getAuthor())
                + ": " + LogText.escaped(info.getMessage().replaceAll("[\\r\\n]+", " ")));
        if (info.getRolledBackFrom() != 0) {
            output.line("# rollback to the content of version " + info.getRolledBackFrom());
        }
        output.line(ConfigDocuments.toYaml(found.getConfig()).stripTrailing());
        return ExitCodes.OK;
    }
}
