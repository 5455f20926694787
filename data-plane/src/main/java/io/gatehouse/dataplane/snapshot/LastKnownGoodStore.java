package io.gatehouse.dataplane.snapshot;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last snapshot this data plane applied, on disk, so a restart while the control plane is
 * unreachable can serve it again. The last applied, not the highest version: after a rollout goes
 * back to an older version, that older one is what a restart must serve.
 *
 * <p>The file {@code <stateDir>/last-known-good.pb} holds the binary {@link Snapshot} message. A write
 * goes to a temporary file in the same directory, is fsynced, then atomically renamed over the old
 * file (and the directory is fsynced), so a crash leaves either the old or the new file, never a
 * torn one. A file that cannot be read or parsed, or whose config does not hash to its {@code sha256},
 * is logged and ignored.
 *
 * <p>The file holds the snapshot's secret values ({@code Snapshot.secrets}, e.g. HS keys), so it is
 * sensitive: it is created owner-read/write only (0600) from its first byte, in a state directory
 * made 0700. It is not encrypted: the data plane would need a key to decrypt it at a cold start
 * without the control plane (the case this file exists for), and that key would sit on the same
 * disk. Protect the state directory like the TLS key next to it. Not meant for concurrent
 * writers: the data plane writes from its single watch thread.
 */
public final class LastKnownGoodStore {

    private static final Logger LOG = Logger.getLogger(LastKnownGoodStore.class.getName());
    static final String FILE_NAME = "last-known-good.pb";

    private final Path stateDir;
    private final Path file;

    public LastKnownGoodStore(Path stateDir) {
        this.stateDir = stateDir;
        this.file = stateDir.resolve(FILE_NAME);
    }

    /** The file holding the snapshot. */
    public Path file() {
        return file;
    }

    /** Atomically replaces the stored snapshot; creates the state directory if needed. */
    public void write(Snapshot snapshot) throws IOException {
        if (!Files.isDirectory(stateDir)) {
            Files.createDirectories(stateDir, ownerOnlyDirectory());
        }
        // 0600 from creation: the snapshot may carry secret values.
        Path temp = Files.createTempFile(stateDir, FILE_NAME + ".", ".tmp", io.gatehouse.pki.OwnerOnlyFiles.ownerOnly());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(snapshot.toByteArray()));
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + stateDir + " cannot rename atomically", e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        fsyncDirectory();
    }

    /** The stored snapshot, or empty when there is none or it is unreadable (logged). Never throws. */
    public Optional<Snapshot> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read last-known-good snapshot " + file + "; ignoring it", e);
            return Optional.empty();
        }
        try {
            Snapshot snapshot = Snapshot.parseFrom(bytes);
            if (snapshot.getVersion() < 1) {
                LOG.warning("last-known-good snapshot " + file + " has no version; ignoring it");
                return Optional.empty();
            }
            String sha = ConfigDocuments.sha256(snapshot.getConfig());
            if (!sha.equals(snapshot.getSha256())) {
                LOG.warning("last-known-good snapshot " + file + " fails its checksum (sha256 " + sha
                        + " != " + snapshot.getSha256() + "); ignoring it");
                return Optional.empty();
            }
            return Optional.of(snapshot);
        } catch (InvalidProtocolBufferException e) {
            LOG.warning("last-known-good snapshot " + file + " is corrupt (" + e.getMessage() + "); ignoring it");
            return Optional.empty();
        }
    }

    private static java.nio.file.attribute.FileAttribute<?>[] ownerOnlyDirectory() {
        boolean posix = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        return posix ? new java.nio.file.attribute.FileAttribute<?>[] {java.nio.file.attribute.PosixFilePermissions
                .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))}
                : new java.nio.file.attribute.FileAttribute<?>[0];
    }

    private void fsyncDirectory() {
        // Makes the rename itself durable. Not supported on every OS/file system; best effort.
        try (FileChannel dir = FileChannel.open(stateDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(Level.FINE, "cannot fsync directory " + stateDir, e);
        }
    }
}
