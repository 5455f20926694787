package io.gatehouse.cli;

import io.gatehouse.pki.AdminToken;
import io.gatehouse.proto.admin.v1.CreateTokenRequest;
import io.gatehouse.proto.admin.v1.CreateTokenResponse;
import io.gatehouse.proto.admin.v1.ListTokensRequest;
import io.gatehouse.proto.admin.v1.ListTokensResponse;
import io.gatehouse.proto.admin.v1.RevokeTokenRequest;
import io.gatehouse.proto.admin.v1.RevokeTokenResponse;
import io.gatehouse.proto.admin.v1.Role;
import io.gatehouse.proto.admin.v1.TokenInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.Locale;

/** {@code gatehouse tokens}: admin API tokens (create, list, revoke, generate). */
@Command(name = "tokens",
        description = "Manage the admin API's bearer tokens (role admin needed). A token is shown once, at"
                + " creation; the control plane stores only its SHA-256.",
        subcommands = {
                TokensCommand.Create.class,
                TokensCommand.ListTokens.class,
                TokensCommand.Revoke.class,
                TokensCommand.Generate.class,
        })
final class TokensCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, list, revoke or generate");
    }

    static Role role(String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "viewer" -> Role.VIEWER;
            case "operator" -> Role.OPERATOR;
            case "admin" -> Role.ADMIN;
            default -> throw new CliException(ExitCodes.USAGE, "--role must be viewer, operator or admin, not '" + value + "'");
        };
    }

    static String label(Role role) {
        return role.name().toLowerCase(Locale.ROOT);
    }

    @Command(name = "create", description = "Create a token and print it once (stdout; details on stderr)."
            + " With --db-url, write it straight into the control plane's database (first start, no token yet).")
    static final class Create extends ControlPlaneCommand {

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Unique name, e.g. ci, alice.")
        String name;

        @Option(names = "--role", required = true, paramLabel = "viewer|operator|admin", description = "What it may do.")
        String role;

        @Option(names = "--expires", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Lifetime, e.g. 30d, 12h (default: no expiry).")
        Duration expires;

        @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
        String reason = "";

        @Option(names = "--db-url", paramLabel = "JDBC_URL",
                description = "Write the token into this database directly instead of calling the control plane"
                        + " (password from $GATEHOUSE_DB_PASSWORD_FILE or $GATEHOUSE_DB_PASSWORD).")
        String dbUrl;

        @Option(names = "--db-user", paramLabel = "USER", description = "Database user (default: $GATEHOUSE_DB_USER, else postgres).")
        String dbUser;

        @Override
        protected int run(Output output) {
            Role r = role(role);
            if (dbUrl != null) {
                DirectTokenWriter.Created created = DirectTokenWriter.create(root().environment(), dbUrl, dbUser, name,
                        r, expires, reason);
                output.line(created.token());
                output.error("created admin token " + created.tokenId() + " (" + name + ", " + role + ") in the database"
                        + " as " + created.principal() + ". It is shown only once: store it now.");
                return ExitCodes.OK;
            }
            CreateTokenRequest.Builder request = CreateTokenRequest.newBuilder().setName(name).setRole(r).setReason(reason);
            if (expires != null) {
                request.setExpiresIn(com.google.protobuf.Duration.newBuilder().setSeconds(expires.getSeconds())
                        .setNanos(expires.getNano()));
            }
            CreateTokenResponse response = client().admin().createToken(request.build());
            if (output.isStructured()) {
                output.structured(response);
                return ExitCodes.OK;
            }
            TokenInfo info = response.getInfo();
            output.line(response.getToken());
            output.error("created admin token " + info.getTokenId() + " (" + info.getName() + ", " + label(info.getRole())
                    + (info.hasExpiresAt() ? ", expires " + Output.timestamp(info.getExpiresAt()) : "")
                    + "). It is shown only once: store it now.");
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "List tokens (ids and metadata; never the tokens).")
    static final class ListTokens extends ControlPlaneCommand {

        @Option(names = "--all", description = "Include revoked tokens.")
        boolean all;

        @Override
        protected int run(Output output) {
            ListTokensResponse response = client().admin().listTokens(ListTokensRequest.newBuilder()
                    .setIncludeRevoked(all).build());
            if (output.isStructured()) {
                output.structured(response);
                return ExitCodes.OK;
            }
            Table table = new Table("TOKEN ID", "NAME", "ROLE", "CREATED", "BY", "EXPIRES", "LAST USED", "REVOKED");
            for (TokenInfo t : response.getTokensList()) {
                table.row(t.getTokenId(), t.getName(), label(t.getRole()), Output.timestamp(t.getCreatedAt()),
                        t.getCreatedBy(), t.hasExpiresAt() ? Output.timestamp(t.getExpiresAt()) : null,
                        t.hasLastUsedAt() ? output.ago(t.getLastUsedAt()) : null,
                        t.getRevoked() ? Output.timestamp(t.getRevokedAt()) : null);
            }
            output.table(table);
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a token by id or name; every control plane replica refuses it"
            + " from its next call.")
    static final class Revoke extends ControlPlaneCommand {

        @Parameters(paramLabel = "ID_OR_NAME")
        String token;

        @Option(names = {"-m", "--reason"}, paramLabel = "WHY", description = "Why; kept in the audit trail.")
        String reason = "";

        @Override
        protected int run(Output output) {
            RevokeTokenResponse response = client().admin().revokeToken(RevokeTokenRequest.newBuilder()
                    .setToken(token).setReason(reason).build());
            if (output.isStructured()) {
                output.structured(response);
            } else {
                output.line((response.getAlreadyRevoked() ? "already revoked: " : "revoked ")
                        + response.getInfo().getTokenId() + " (" + response.getInfo().getName() + ")");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "generate", description = "Print a new random token without storing it anywhere: for"
            + " GATEHOUSE_BOOTSTRAP_TOKEN_FILE (the control plane makes it an admin token on first start).")
    static final class Generate implements java.util.concurrent.Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(AdminToken.generate().token());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }
}
