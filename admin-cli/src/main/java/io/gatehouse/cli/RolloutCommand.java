package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gatehouse rollout}: the commands that follow and steer staged rollouts (issue 17). */
@Command(name = "rollout",
        description = "Follow and steer staged rollouts started by `apply --rollout PLAN` (or `rollback`):"
                + " which wave runs where, gate figures, shadow differences; pause, resume, promote, abort.",
        subcommands = {
                RolloutStatusCommand.class,
                RolloutListCommand.class,
                RolloutControlCommand.Pause.class,
                RolloutControlCommand.Resume.class,
                RolloutControlCommand.Promote.class,
                RolloutControlCommand.Abort.class,
        })
final class RolloutCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: a usage error (exit 2), like the other command groups. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: status, list, pause, resume, promote or abort");
    }
}
