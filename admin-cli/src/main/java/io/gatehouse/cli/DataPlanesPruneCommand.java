package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.PruneDataPlanesRequest;
import io.gatehouse.proto.admin.v1.PruneDataPlanesResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * {@code gatehouse dataplanes prune [--older-than 24h] [--dry-run]}: removes the rows of data planes
 * that have been disconnected longer than the threshold (decommissioned ones), so they stop showing
 * in the list and in {@code --check}. Connected data planes are never removed.
 */
@Command(name = "prune", description = "Forget data planes disconnected for longer than --older-than"
        + " (default: the control plane's GATEHOUSE_DP_RETENTION, 24h unless configured).")
final class DataPlanesPruneCommand extends ControlPlaneCommand {

    @Option(names = "--older-than", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Disconnected at least this long, e.g. 24h or 7d.")
    Duration olderThan;

    @Option(names = "--dry-run", description = "Only list what would be removed.")
    boolean dryRun;

    @Override
    protected int run(Output output) {
        PruneDataPlanesRequest.Builder request = PruneDataPlanesRequest.newBuilder().setDryRun(dryRun);
        if (olderThan != null) {
            request.setOlderThan(com.google.protobuf.Duration.newBuilder().setSeconds(olderThan.getSeconds())
                    .setNanos(olderThan.getNano()));
        }
        PruneDataPlanesResponse response = client().admin().pruneDataPlanes(request.build());
        if (output.isStructured()) {
            output.structured(response);
            return ExitCodes.OK;
        }
        String threshold = human(Duration.ofSeconds(response.getOlderThan().getSeconds(), response.getOlderThan().getNanos()));
        if (response.getRemovedCount() == 0) {
            output.line("no data plane disconnected for longer than " + threshold);
            return ExitCodes.OK;
        }
        output.line((dryRun ? "would remove " : "removed ") + response.getRemovedCount()
                + " data plane(s) disconnected for longer than " + threshold + ": "
                + String.join(", ", response.getRemovedList()));
        return ExitCodes.OK;
    }

    /** "24h", "90m", "45s", "250ms": the largest whole unit. */
    static String human(Duration d) {
        if (d.toNanosPart() % 1_000_000 != 0 || d.isZero()) {
            return d.toString();
        }
        if (d.toMillisPart() != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.getSeconds();
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }
}
