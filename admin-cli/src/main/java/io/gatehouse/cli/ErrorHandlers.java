package io.gatehouse.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.time.Duration;

/** Turns failures into one clear message on stderr and the matching {@link ExitCodes exit code}. */
final class ErrorHandlers {

    private ErrorHandlers() {
    }

    /**
     * Usage errors: the message and a pointer to {@code --help} instead of the full usage text,
     * which would bury the one line that matters.
     */
    static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println(e.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    /** A failed admin RPC: unreachable/slow control plane is exit 3, anything it answered is exit 1. */
    static int rpcFailure(StatusRuntimeException e, ServerAddress server, Duration timeout, Output output) {
        Status status = e.getStatus();
        String description = status.getDescription() == null ? status.getCode().name() : printable(status.getDescription());
        switch (status.getCode()) {
            case UNAVAILABLE -> {
                // With a cause, the client failed to connect; without one, the control plane itself
                // answered UNAVAILABLE (e.g. its database is down). Either way it cannot serve us now.
                output.error(e.getCause() != null
                        ? "cannot reach control plane at " + server + ": " + description + rootCause(e)
                        : "control plane at " + server + " is unavailable: " + description);
                return ExitCodes.UNREACHABLE;
            }
            case DEADLINE_EXCEEDED -> {
                output.error("cannot reach control plane at " + server + ": no answer within "
                        + format(timeout) + " (see --timeout)");
                return ExitCodes.UNREACHABLE;
            }
            case UNAUTHENTICATED -> {
                // The control plane's message says what the call needs (a token or an admin certificate).
                output.error("control plane at " + server + " refused the call (not authenticated): " + description
                        + "; set GATEHOUSE_TOKEN_FILE (or --token-file) to an admin token");
                return ExitCodes.UNAUTHENTICATED;
            }
            case PERMISSION_DENIED -> {
                output.error("control plane at " + server + " refused the call (permission denied): " + description);
                return ExitCodes.PERMISSION_DENIED;
            }
            case NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE -> {
                output.error("error: " + description);
                return ExitCodes.FAILED;
            }
            default -> {
                output.error("control plane at " + server + " failed (" + status.getCode() + "): " + description);
                return ExitCodes.FAILED;
            }
        }
    }

    /**
     * A control plane's message as it may reach a terminal: it can quote what others sent (a token
     * name, a data plane's NACK, a rollout's reason), so every control character is shown escaped;
     * line breaks stay, as messages of several lines are written to be read that way.
     */
    static String printable(String serverText) {
        return java.util.Arrays.stream(serverText.split("\r?\n", -1))
                .map(io.gatehouse.observability.logging.LogText::escaped)
                .collect(java.util.stream.Collectors.joining(System.lineSeparator()));
    }

    static String format(Duration d) {
        return d.toNanosPart() == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e.getCause();
        if (cause == null) {
            return "";
        }
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
    }
}
