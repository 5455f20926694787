package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
                + " 3 control plane unreachable, 4 drift (dataplanes --check), 5 not authenticated,"
                + " 6 permission denied (role too low), 7 rollout failed or aborted (rollout status --watch)."},
        subcommands = {
                ValidateCommand.class,
                ApplyCommand.class,
                DiffCommand.class,
                VersionsCommand.class,
                ShowCommand.class,
                RollbackCommand.class,
                DataPlanesCommand.class,
                RolloutCommand.class,
                KeysCommand.class,
                TokensCommand.class,
                SecretsCommand.class,
                AuditCommand.class,
                WhoAmICommand.class,
                CacheCommand.class,
                CertsCommand.class,
                KekCommand.class,
                TracesCommand.class,
                CommandLine.HelpCommand.class,
                // Prints the bash/zsh completion script (the .deb installs its output).
                picocli.AutoComplete.GenerateCompletion.class,
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
    private Path ca;
    private Path cert;
    private Path key;
    private Path pkiDir;
    private boolean insecurePlaintext;
    private Path tokenFile;

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

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "table|json|yaml",
            converter = OutputFormat.Converter.class, completionCandidates = OutputFormat.Names.class,
            description = "Output format: human-readable 'table' (default), 'json' or 'yaml'.")
    void setFormat(OutputFormat format) {
        this.format = format;
    }

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Deadline of each call to the control plane, e.g. 500ms, 10s (default: 10s).")
    void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Option(names = "--pki-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Where `certs` keeps the CA and certificates, and where the defaults below are looked"
                    + " up (default: $GATEHOUSE_PKI_DIR, else ~/.gatehouse/pki).")
    void setPkiDir(Path dir) {
        this.pkiDir = dir;
    }

    @Option(names = "--ca", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "CA certificate the control plane's certificate must chain to"
                    + " (default: $GATEHOUSE_CA, else <pki-dir>/ca.pem).")
    void setCa(Path ca) {
        this.ca = ca;
    }

    @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Admin client certificate (default: $GATEHOUSE_CERT, else the only"
                    + " <pki-dir>/admin-*.pem; `gatehouse certs issue admin --name NAME` makes one).")
    void setCert(Path cert) {
        this.cert = cert;
    }

    @Option(names = "--key", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Its private key (default: $GATEHOUSE_KEY, else the certificate's name with -key.pem).")
    void setKey(Path key) {
        this.key = key;
    }

    @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "File holding the admin API token to authenticate with (default: $GATEHOUSE_TOKEN_FILE,"
                    + " else the token in $GATEHOUSE_TOKEN). There is no option taking the token itself: ps shows"
                    + " command lines to every user.")
    void setTokenFile(Path file) {
        this.tokenFile = file;
    }

    @Option(names = "--insecure-plaintext", scope = ScopeType.INHERIT,
            description = "Talk plaintext gRPC to a control plane started with --insecure-plaintext"
                    + " (also $GATEHOUSE_INSECURE_PLAINTEXT=true).")
    void setInsecurePlaintext(boolean plaintext) {
        this.insecurePlaintext = plaintext;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** {@code --pki-dir}, else $GATEHOUSE_PKI_DIR, else ~/.gatehouse/pki. */
    Path pkiDir() {
        if (pkiDir != null) {
            return pkiDir;
        }
        return environment.variable("GATEHOUSE_PKI_DIR").map(Path::of)
                .orElseGet(() -> environment.homeDirectory().resolve(".gatehouse").resolve("pki"));
    }

    /**
     * How to reach the control plane: plaintext when asked for, else TLS with the CA from
     * {@code --ca}/$GATEHOUSE_CA/&lt;pki-dir&gt;/ca.pem and the admin certificate from
     * {@code --cert}/$GATEHOUSE_CERT or the only admin certificate in the PKI directory (none: the
     * call goes without one, and the control plane says what it needs).
     *
     * @throws CliException (exit 2) when there is no CA certificate or the options are inconsistent
     */
    ClientTransport transport() {
        boolean plaintext = insecurePlaintext || environment.variable("GATEHOUSE_INSECURE_PLAINTEXT")
                .map(v -> v.equalsIgnoreCase("true") || v.equals("1")).orElse(false);
        if (plaintext) {
            return ClientTransport.plaintext();
        }
        Path dir = pkiDir();
        Path caFile = ca != null ? ca : environment.variable("GATEHOUSE_CA").map(Path::of).orElse(dir.resolve("ca.pem"));
        if (!Files.isReadable(caFile)) {
            throw new CliException(ExitCodes.USAGE, "no CA certificate at " + caFile + " to verify the control plane"
                    + " with: run `gatehouse certs init` (or pass --ca FILE), or --insecure-plaintext for a control"
                    + " plane started that way");
        }
        Optional<Path> certFile = Optional.ofNullable(cert).or(() -> environment.variable("GATEHOUSE_CERT").map(Path::of));
        Optional<Path> keyFile = Optional.ofNullable(key).or(() -> environment.variable("GATEHOUSE_KEY").map(Path::of));
        if (certFile.isEmpty() && keyFile.isPresent()) {
            throw new CliException(ExitCodes.USAGE, "--key needs --cert");
        }
        if (certFile.isEmpty()) {
            certFile = onlyAdminCertificate(dir);
        }
        if (certFile.isPresent() && keyFile.isEmpty()) {
            keyFile = Optional.of(Pki.keyFileOf(certFile.get()));
        }
        return ClientTransport.tls(caFile, certFile, keyFile);
    }

    /**
     * The admin token to send: {@code --token-file}, else $GATEHOUSE_TOKEN_FILE, else $GATEHOUSE_TOKEN;
     * empty = none (an admin certificate may still authenticate the call).
     *
     * @throws CliException (exit 2) when the file cannot be read or does not hold a token
     */
    Optional<String> token() {
        String text;
        String source;
        try {
            if (tokenFile != null) {
                source = tokenFile.toString();
                text = Files.readString(tokenFile);
            } else {
                Optional<String> file = environment.variable("GATEHOUSE_TOKEN_FILE");
                if (file.isPresent()) {
                    source = file.get();
                    text = Files.readString(Path.of(file.get()));
                } else {
                    Optional<String> inline = environment.variable("GATEHOUSE_TOKEN");
                    if (inline.isEmpty()) {
                        return Optional.empty();
                    }
                    source = "$GATEHOUSE_TOKEN";
                    text = inline.get();
                }
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read the token file: " + e.getMessage());
        }
        return Optional.of(io.gatehouse.pki.AdminToken.parse(text).orElseThrow(() -> new CliException(ExitCodes.USAGE,
                source + " does not hold a Gatehouse admin token (ght_...)")).token());
    }

    private static Optional<Path> onlyAdminCertificate(Path dir) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> admins = Files.newDirectoryStream(dir, "admin-*.pem")) {
            for (Path p : admins) {
                if (!p.getFileName().toString().endsWith("-key.pem")) {
                    found.add(p);
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        if (found.size() > 1) {
            throw new CliException(ExitCodes.USAGE, "several admin certificates in " + dir + " ("
                    + found.stream().map(p -> p.getFileName().toString()).sorted().toList()
                    + "): choose one with --cert FILE or $GATEHOUSE_CERT");
        }
        return found.stream().findFirst();
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
