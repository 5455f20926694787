package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.GetRolloutRequest;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code gatehouse rollout status [ID] [--watch]}: one rollout in full. Without {@code --watch} it
 * reports and exits 0 whatever the rollout's state (as {@code dataplanes} without {@code --check});
 * with {@code --watch} it follows the rollout until it ends and its exit code says how it ended:
 * 0 SUCCEEDED, {@link ExitCodes#ROLLOUT_STOPPED} (7) FAILED or ABORTED.
 */
@Command(name = "status",
        description = "Show a rollout (default: the one in progress, else the newest): state, versions, plan,"
                + " each wave's selector, bake, state and data planes, gate figures (candidate vs baseline),"
                + " shadow differences, why it failed, which control plane replica drives it.")
final class RolloutStatusCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "ID", arity = "0..1",
            description = "Rollout id (default: the rollout in progress, else the newest).")
    Long id;

    @Option(names = "--watch", description = "Follow the rollout until it ends, printing each change; exit 0 when it"
            + " SUCCEEDED, 7 when it FAILED or was ABORTED. With -o json/yaml only the final state is printed.")
    boolean watch;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "How often --watch asks the control plane (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Override
    protected int run(Output output) {
        if (id != null && id < 1) {
            throw usageError("ID must be a rollout id >= 1, not " + id);
        }
        Rollout rollout = get(id == null ? 0 : id);
        if (!watch) {
            print(rollout, output);
            return ExitCodes.OK;
        }
        if (!output.isStructured()) {
            print(rollout, output);
        }
        while (!RolloutReport.ended(rollout)) {
            pause();
            // By id from now on: "the rollout in progress" would be another one after this one ends.
            Rollout next = get(rollout.getId());
            if (!output.isStructured()) {
                RolloutEvents.between(rollout, next, output.now()).forEach(output::line);
            }
            rollout = next;
        }
        if (output.isStructured()) {
            output.structured(rollout);
        } else {
            output.line("");
            print(rollout, output);
        }
        return rollout.getState() == RolloutState.SUCCEEDED ? ExitCodes.OK : ExitCodes.ROLLOUT_STOPPED;
    }

    private Rollout get(long rolloutId) {
        try {
            return client().admin().getRollout(GetRolloutRequest.newBuilder().setId(rolloutId).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND && rolloutId == 0) {
                throw new CliException(ExitCodes.FAILED,
                        "no rollout yet: start one with 'gatehouse apply FILE -m MSG --rollout PLAN'");
            }
            throw e;
        }
    }

    private void print(Rollout rollout, Output output) {
        if (output.isStructured()) {
            output.structured(rollout);
            return;
        }
        RolloutReport.lines(rollout, rollout.getShadowCount() == 0 ? Map.of() : routePaths(rollout.getFromVersion()),
                output).forEach(output::line);
    }

    /**
     * Route id to the path it matches in {@code version}, so shadow sentences can say "/orders
     * requests". Only words: when the version cannot be read (a role that may not, a version that was
     * pruned) the sentences name routes by id instead, and the status is still worth printing.
     */
    private Map<String, String> routePaths(long version) {
        Map<String, String> paths = new HashMap<>();
        try {
            for (Route route : client().admin().getVersion(GetVersionRequest.newBuilder().setVersion(version).build())
                    .getConfig().getRoutesList()) {
                RouteMatch match = route.getMatch();
                String path = switch (match.getPathCase()) {
                    case PATH_PREFIX -> match.getPathPrefix();
                    case PATH_EXACT -> match.getPathExact();
                    case PATH_TEMPLATE -> match.getPathTemplate();
                    default -> null;
                };
                if (path != null && !path.isEmpty()) {
                    paths.put(route.getId(), path);
                }
            }
        } catch (StatusRuntimeException e) {
            return Map.of();
        }
        return paths;
    }

    private void pause() {
        try {
            Thread.sleep(interval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILED, "interrupted while watching the rollout", e);
        }
    }
}
