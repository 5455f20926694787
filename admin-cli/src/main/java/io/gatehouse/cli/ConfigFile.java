package io.gatehouse.cli;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.config.ConfigFormatException;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a YAML config file. Any problem becomes a {@link CliException} (exit 1) naming the file. */
public final class ConfigFile {

    private ConfigFile() {
    }

    /**
     * Reads and parses {@code file} with {@link ConfigDocuments#fromYaml}.
     *
     * @throws CliException with exit code {@link ExitCodes#FAILED} and a {@code file: reason} message
     */
    public static GatewayConfig read(Path file) {
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw failure(file, "is a directory, not a config file");
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw failure(file, "no such file");
        } catch (AccessDeniedException e) {
            throw failure(file, "permission denied");
        } catch (CharacterCodingException e) {
            throw failure(file, "not UTF-8 text");
        } catch (IOException e) {
            throw failure(file, "cannot read: " + e.getMessage());
        }
        try {
            return ConfigDocuments.fromYaml(text);
        } catch (ConfigFormatException e) {
            throw failure(file, e.getMessage());
        }
    }

    private static CliException failure(Path file, String reason) {
        return new CliException(ExitCodes.FAILED, file + ": " + reason);
    }
}
