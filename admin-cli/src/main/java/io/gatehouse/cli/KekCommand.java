package io.gatehouse.cli;

import io.gatehouse.pki.KekKeyset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.Callable;

/**
 * {@code gatehouse kek create|rotate|prune FILE}: the control plane's key-encryption key file (a Tink
 * AES-256-GCM keyset, mode 0600), edited locally; the control plane is not involved. Rotation:
 * {@code rotate} (new primary key, old ones kept), deploy the file to every replica (they re-read it),
 * {@code gatehouse secrets rotate-kek}, then {@code prune} and deploy again.
 */
@Command(name = "kek", description = "Create and rotate the key-encryption key file of the control plane's secrets"
        + " (local files only).",
        subcommands = {KekCommand.Create.class, KekCommand.Rotate.class, KekCommand.Prune.class})
final class KekCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, rotate or prune");
    }

    /** Shared by the three: read, change, write atomically with 0600. */
    abstract static class Edit implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE")
        Path file;

        abstract String change(String json) throws GeneralSecurityException;

        abstract String done(KekKeyset keys);

        @Override
        public Integer call() {
            try {
                String json = Files.exists(file) ? Files.readString(file) : null;
                String changed = change(json);
                KekKeyset.write(file, changed);
                spec.commandLine().getOut().println(done(KekKeyset.parse(changed)));
                spec.commandLine().getOut().flush();
                return ExitCodes.OK;
            } catch (CliException e) {
                spec.commandLine().getErr().println(e.getMessage());
                spec.commandLine().getErr().flush();
                return e.exitCode();
            } catch (IOException | GeneralSecurityException e) {
                spec.commandLine().getErr().println(file + ": " + e.getMessage());
                spec.commandLine().getErr().flush();
                return ExitCodes.FAILED;
            }
        }

        String require(String json) {
            if (json == null) {
                throw new CliException(ExitCodes.FAILED, file + ": no such file (gatehouse kek create " + file + ")");
            }
            return json;
        }
    }

    @Command(name = "create", description = "Write a new KEK file (one AES-256-GCM key, mode 0600). Refuses to"
            + " replace an existing file: the secrets it protects would become unreadable.")
    static final class Create extends Edit {
        @Override
        String change(String json) {
            if (json != null) {
                throw new CliException(ExitCodes.FAILED, file + " exists; refusing to replace a key-encryption key");
            }
            return KekKeyset.newKeysetJson();
        }

        @Override
        String done(KekKeyset keys) {
            return "created " + file + " (KEK key " + keys.primaryKeyId() + "); give it to the control plane as"
                    + " GATEHOUSE_KEK_FILE and keep a backup: without it the secrets cannot be read";
        }
    }

    @Command(name = "rotate", description = "Add a new key and make it primary (older keys still decrypt).")
    static final class Rotate extends Edit {
        @Override
        String change(String json) throws GeneralSecurityException {
            return KekKeyset.withNewPrimary(require(json));
        }

        @Override
        String done(KekKeyset keys) {
            return "new primary KEK key " + keys.primaryKeyId() + " (keys " + keys.keyIds() + "); deploy the file to"
                    + " every control plane replica, then run `gatehouse secrets rotate-kek`";
        }
    }

    @Command(name = "prune", description = "Drop every key but the primary (after `gatehouse secrets rotate-kek`).")
    static final class Prune extends Edit {
        @Override
        String change(String json) throws GeneralSecurityException {
            return KekKeyset.withoutOldKeys(require(json));
        }

        @Override
        String done(KekKeyset keys) {
            return "kept only KEK key " + keys.primaryKeyId() + "; deploy the file to every control plane replica";
        }
    }
}
