package io.gatehouse.cli;

import io.gatehouse.proto.admin.v1.ControlRolloutRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutAction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse rollout pause|resume|promote|abort [ID] [--reason TEXT]}: one {@code ControlRollout}
 * call, then the rollout as the control plane left it. The four differ only in the action and in
 * what they tell the operator, so they are one base and four names.
 */
abstract class RolloutControlCommand extends ControlPlaneCommand {

    @Parameters(paramLabel = "ID", arity = "0..1",
            description = "Rollout id (default: the rollout in progress).")
    Long id;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Why; recorded in the audit trail and shown as the rollout's reason.")
    String reason = "";

    abstract RolloutAction action();

    /** What the operator should know once the action is done. */
    abstract String outcome(Rollout rollout);

    @Override
    protected int run(Output output) {
        if (id != null && id < 1) {
            throw usageError("ID must be a rollout id >= 1, not " + id);
        }
        Rollout rollout = client().admin().controlRollout(ControlRolloutRequest.newBuilder()
                .setId(id == null ? 0 : id)
                .setAction(action())
                .setReason(reason)
                .build());
        if (output.isStructured()) {
            output.structured(rollout);
        } else {
            output.line(RolloutReport.summary(rollout));
            output.line(outcome(rollout));
        }
        return ExitCodes.OK;
    }

    @Command(name = "pause", description = "Stop a rollout where it is; data planes keep what they run.")
    static final class Pause extends RolloutControlCommand {
        @Override
        RolloutAction action() {
            return RolloutAction.PAUSE;
        }

        @Override
        String outcome(Rollout rollout) {
            return "paused: no further wave starts and no gate moves it on; continue with: gatehouse rollout resume "
                    + rollout.getId();
        }
    }

    @Command(name = "resume", description = "Continue a paused rollout from the wave where it stopped.")
    static final class Resume extends RolloutControlCommand {
        @Override
        RolloutAction action() {
            return RolloutAction.RESUME;
        }

        @Override
        String outcome(Rollout rollout) {
            return "resumed; follow it with: gatehouse rollout status --watch";
        }
    }

    @Command(name = "promote",
            description = "Finish a rollout now: every data plane gets the new version, which becomes active.")
    static final class Promote extends RolloutControlCommand {
        @Override
        RolloutAction action() {
            return RolloutAction.PROMOTE;
        }

        @Override
        String outcome(Rollout rollout) {
            return "promoted: every data plane gets version " + rollout.getToVersion() + ", now the active version";
        }
    }

    @Command(name = "abort", description = "Stop a rollout: every data plane goes back to the active version.")
    static final class Abort extends RolloutControlCommand {
        @Override
        RolloutAction action() {
            return RolloutAction.ABORT;
        }

        @Override
        String outcome(Rollout rollout) {
            return "aborted: every data plane goes back to version " + rollout.getFromVersion()
                    + ", which stays active";
        }
    }
}
