package io.gatehouse.cli;

/**
 * A failure the user should see as one clear message on stderr, ending the command with
 * {@link #exitCode()}. Thrown by subcommands; printed by {@link ErrorHandlers}.
 */
public final class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** One of {@link ExitCodes}. */
    public int exitCode() {
        return exitCode;
    }
}
