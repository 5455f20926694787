package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gatehouse certs}: the certificate authority of a Gatehouse deployment (init, issue, show). */
@Command(name = "certs",
        description = "Create the CA and issue the mutual-TLS certificates of control planes, data planes and"
                + " admins (PEM files in --pki-dir). Nothing here talks to the control plane.",
        subcommands = {
                CertsInitCommand.class,
                CertsIssueCommand.class,
                CertsShowCommand.class,
        })
final class CertsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: init, issue or show");
    }
}
