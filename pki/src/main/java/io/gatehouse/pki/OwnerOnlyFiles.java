package io.gatehouse.pki;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Files that hold secrets (key-encryption keys, tokens, a data plane's last-known-good snapshot):
 * written atomically (a temporary file in the same directory, renamed over the target, so a reader
 * never sees half of one) and created owner-read/write only (0600) from the first byte, never
 * chmod-ed after the fact. Also reads a secret from a file or an environment variable. Stateless.
 */
public final class OwnerOnlyFiles {

    private OwnerOnlyFiles() {
    }

    /** Writes {@code content} to {@code file} atomically, mode 0600 (on POSIX file systems). */
    public static void write(Path file, byte[] content) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", ownerOnly());
        try {
            Files.write(temp, content);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** The attributes of a new owner-only file (none on file systems without POSIX permissions). */
    public static FileAttribute<?>[] ownerOnly() {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];
    }

    /**
     * A secret given the way Gatehouse accepts secrets (never as a command-line flag, which {@code ps}
     * shows): the file named by {@code <name>_FILE}, else the variable {@code <name>} itself. Trailing
     * newlines of a file are dropped ({@code echo secret > file}).
     *
     * @throws IOException when {@code <name>_FILE} is set but cannot be read (the message names the
     *                     file, never its content)
     */
    public static Optional<String> secretFromEnvironment(java.util.Map<String, String> env, String name)
            throws IOException {
        String file = env.get(name + "_FILE");
        if (file != null && !file.isBlank()) {
            try {
                return Optional.of(Files.readString(Path.of(file)).replaceAll("[\\r\\n]+$", ""));
            } catch (IOException e) {
                throw new IOException(name + "_FILE: cannot read " + file + " ("
                        + e.getClass().getSimpleName() + ")", e);
            }
        }
        String value = env.get(name);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
