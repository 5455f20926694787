package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.DiffEntry;
import io.gatehouse.proto.admin.v1.DiffRequest;
import io.gatehouse.proto.admin.v1.DiffResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * {@code gatehouse diff [--from N] [--to N | FILE]}: what differs between two versions, or between
 * a version and a file about to be applied. Both sides default to the active version, so
 * {@code diff FILE} previews an apply and {@code diff --from 3} shows what changed since version 3.
 * Differences are not an error (exit 0).
 */
@Command(name = "diff",
        description = "Show differences between two versions (--from/--to) or between a version and a file."
                + " Both sides default to the active version: 'diff FILE' previews an apply."
                + " Lines: '+ path: value' added, '- path: value' removed, '~ path: old -> new' changed.")
final class DiffCommand extends ControlPlaneCommand {

    @Option(names = "--from", paramLabel = "N", description = "Old side (default: the active version).")
    Long from;

    @Option(names = "--to", paramLabel = "N", description = "New side version (default: the active version).")
    Long to;

    @Parameters(paramLabel = "FILE", arity = "0..1", description = "New side: a YAML config file instead of --to.")
    Path file;

    @Override
    protected int run(Output output) {
        if (to != null && file != null) {
            throw usageError("give either --to N or FILE, not both");
        }
        if (from == null && to == null && file == null) {
            throw usageError("nothing to compare: give --from N, --to N or FILE");
        }
        DiffRequest.Builder request = DiffRequest.newBuilder();
        if (from != null) {
            request.setFromVersion(requireVersion(from, "--from"));
        }
        if (file != null) {
            request.setToConfig(ConfigFile.read(file));
        } else {
            request.setToVersion(to == null ? 0 : requireVersion(to, "--to"));
        }
        DiffResponse response = client().admin().diff(request.build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        if (response.getEntriesCount() == 0) {
            String newSide = file != null ? file.toString() : versionLabel(response.getToVersion());
            output.line("no differences between " + versionLabel(response.getFromVersion()) + " and " + newSide);
            return ExitCodes.OK;
        }
        response.getEntriesList().forEach(entry -> output.line(line(entry)));
        return ExitCodes.OK;
    }

    /** One entry as {@code + path: new}, {@code - path: old} or {@code ~ path: old -> new}. */
    static String line(DiffEntry entry) {
        return switch (entry.getKind()) {
            case ADDED -> "+ " + entry.getPath() + ": " + oneLine(entry.getNewValue());
            case REMOVED -> "- " + entry.getPath() + ": " + oneLine(entry.getOldValue());
            default -> "~ " + entry.getPath() + ": " + oneLine(entry.getOldValue()) + " -> " + oneLine(entry.getNewValue());
        };
    }

    private static String oneLine(String json) {
        String compact = json.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
        return compact.isEmpty() ? "(none)" : compact;
    }

    private static String versionLabel(long version) {
        return version == 0 ? "the active version" : "version " + version;
    }
}
