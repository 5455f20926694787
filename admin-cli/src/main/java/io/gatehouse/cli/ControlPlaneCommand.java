package io.gatehouse.cli;

import io.grpc.StatusRuntimeException;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/**
 * Base of the subcommands: gives each one the shared {@link Output}, a lazily opened
 * {@link ControlPlaneClient} (closed when the command ends) and uniform failure handling, so a
 * subcommand only says what it does on success and which exit code its result means.
 */
abstract class ControlPlaneCommand implements Callable<Integer> {

    /** The top-level command (also for commands nested in a group such as {@code keys create}). */
    GatehouseCommand root() {
        return (GatehouseCommand) spec.root().userObject();
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private ControlPlaneClient client;

    /** Does the work; returns one of {@link ExitCodes}. */
    protected abstract int run(Output output);

    @Override
    public final Integer call() {
        Output output = root().output();
        try {
            return run(output);
        } catch (CliException e) {
            output.error(e.getMessage());
            return e.exitCode();
        } catch (StatusRuntimeException e) {
            return ErrorHandlers.rpcFailure(e, root().serverAddress(), root().timeout(), output);
        } finally {
            if (client != null) {
                client.close();
                client = null;
            }
        }
    }

    /** The client for this run, connected on first use. */
    protected ControlPlaneClient client() {
        if (client == null) {
            client = new ControlPlaneClient(root().serverAddress(), root().timeout(), root().transport(),
                    root().token());
        }
        return client;
    }

    /** {@code --author} is accepted for old scripts but means nothing any more: say so once. */
    protected static void warnAuthorIgnored(String author, Output output) {
        if (author != null) {
            output.error("warning: --author is ignored: the control plane records the authenticated caller"
                    + " (token name or certificate identity)");
        }
    }

    /** Rejects a version number below 1 as a usage error. */
    protected long requireVersion(long version, String what) {
        if (version < 1) {
            throw usageError(what + " must be a version number >= 1, not " + version);
        }
        return version;
    }

    /** Rejects a blank {@code -m}: a version without a reason helps nobody later. */
    protected String requireMessage(String message) {
        if (message == null || message.isBlank()) {
            throw usageError("-m/--message must not be blank");
        }
        return message;
    }

    /** A usage error (exit 2) reported against this subcommand. */
    protected CommandLine.ParameterException usageError(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
