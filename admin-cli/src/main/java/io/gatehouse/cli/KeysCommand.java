package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gatehouse keys}: the API key commands (create, list, revoke). */
@Command(name = "keys",
        description = "Manage API keys of consumers. Keys are shown once, at creation; the control plane"
                + " stores only their SHA-256 and data planes receive hashes within seconds.",
        subcommands = {
                KeysCreateCommand.class,
                KeysListCommand.class,
                KeysRevokeCommand.class,
        })
final class KeysCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: print the usage (exit 2, like any usage error). */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: create, list or revoke");
    }
}
