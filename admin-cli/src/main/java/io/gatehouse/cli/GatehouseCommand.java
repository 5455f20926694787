package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code gatehouse} top-level command: global options and the list of subcommands.
 *
 * <p>Run it in-process (this is what the tests do) with captured streams:
 * <pre>{@code
 * CommandLine cli = GatehouseCommand.newCommandLine(CliEnvironment.of(Map.of("GATEHOUSE_CP_ADDRESS", target)));
 * cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
 * int exitCode = cli.execute("versions", "-o", "json");
 * }</pre>
 * {@code new CommandLine(new GatehouseCommand(env))} works too; {@link #newCommandLine} only adds
 * the short usage-error handler. Global options are inherited, so they may be given before or
 * after the subcommand name. One instance per execution.
 */
@Command(name = "gatehouse",
        // INHERIT: every subcommand gets --help/--version, the version provider and the footer.
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Operate the Gatehouse control plane: validate, apply, diff and roll back gateway"
                + " configs, and see which data planes run which version.",
        footer = {"", "Exit codes: 0 ok, 1 validation/operation error, 2 usage error,"
                + " 3 control plane unreachable."},
        subcommands = {
                ValidateCommand.class,
                ApplyCommand.class,
                DiffCommand.class,
                VersionsCommand.class,
                ShowCommand.class,
                RollbackCommand.class,
                DataPlanesCommand.class,
                KeysCommand.class,
                CacheCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class GatehouseCommand implements Runnable {

    /** Deadline of every RPC unless {@code --timeout} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    private ServerAddress server;
    private OutputFormat format = OutputFormat.TABLE;
    private Duration timeout = DEFAULT_TIMEOUT;

    public GatehouseCommand(CliEnvironment environment) {
        this.environment = Objects.requireNonNull(environment);
    }

    /** The command line for {@code environment}, with concise usage-error reporting. */
    public static CommandLine newCommandLine(CliEnvironment environment) {
        CommandLine commandLine = new CommandLine(new GatehouseCommand(environment));
        commandLine.setParameterExceptionHandler(ErrorHandlers::handleUsageError);
        return commandLine;
    }

    // Options are setters so that the inherited copies in subcommands write here, and so that
    // picocli never resets a value given before the subcommand while parsing the subcommand.
    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
            converter = ServerAddressConverter.class,
            description = "Control plane admin address (default: $" + CliEnvironment.SERVER_VARIABLE
                    + ", else " + CliEnvironment.DEFAULT_SERVER + ").")
    void setServer(ServerAddress server) {
        this.server = server;
    }

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "table|json",
            converter = OutputFormat.Converter.class,
            description = "Output format: human-readable 'table' (default) or 'json'.")
    void setFormat(OutputFormat format) {
        this.format = format;
    }

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Deadline of each call to the control plane, e.g. 500ms, 10s (default: 10s).")
    void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    CliEnvironment environment() {
        return environment;
    }

    Duration timeout() {
        return timeout;
    }

    /** {@code --server}, else $GATEHOUSE_CP_ADDRESS, else localhost:7070. */
    ServerAddress serverAddress() {
        if (server != null) {
            return server;
        }
        Optional<String> fromEnv = environment.variable(CliEnvironment.SERVER_VARIABLE);
        try {
            return ServerAddress.parse(fromEnv.orElse(CliEnvironment.DEFAULT_SERVER));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid $" + CliEnvironment.SERVER_VARIABLE + ": " + e.getMessage());
        }
    }

    /** The formatter for this run, writing to the command line's out/err streams. */
    Output output() {
        CommandLine commandLine = spec.commandLine();
        return new Output(commandLine.getOut(), commandLine.getErr(), format, environment.clock());
    }

    /** Converts {@code --server}. */
    static final class ServerAddressConverter implements CommandLine.ITypeConverter<ServerAddress> {
        @Override
        public ServerAddress convert(String value) {
            try {
                return ServerAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
