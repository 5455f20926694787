package io.gatehouse.controlplane.secrets;

import io.gatehouse.pki.KekKeyset;
import io.grpc.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the key-encryption key comes from: {@code GATEHOUSE_KEK_FILE} (re-read whenever its content
 * changed, so a rotation reaches every replica without a restart: Kubernetes updates a mounted
 * Secret in place), or {@code GATEHOUSE_KEK} (the keyset JSON itself, fixed for the process), or
 * nothing (secrets cannot be used; the calls that need them say so). Thread-safe.
 */
public final class KekSource {

    private final Optional<Path> file;
    private final Optional<String> inline;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private byte[] loadedBytes;
    private KekKeyset loaded;

    private KekSource(Optional<Path> file, Optional<String> inline) {
        this.file = file;
        this.inline = inline;
    }

    public static KekSource none() {
        return new KekSource(Optional.empty(), Optional.empty());
    }

    public static KekSource file(Path file) {
        return new KekSource(Optional.of(file), Optional.empty());
    }

    public static KekSource inline(String json) {
        return new KekSource(Optional.empty(), Optional.of(json));
    }

    public boolean configured() {
        return file.isPresent() || inline.isPresent();
    }

    /** For logs: the file, "GATEHOUSE_KEK" or "none"; never key material. */
    public String describe() {
        return file.map(Path::toString).orElse(inline.isPresent() ? "GATEHOUSE_KEK" : "none");
    }

    /**
     * The keyset in force.
     *
     * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION when none is configured or it cannot
     *                                        be read (the message names the file, not its content)
     */
    public KekKeyset current() {
        lock.lock();
        try {
            byte[] bytes;
            if (file.isPresent()) {
                try {
                    bytes = Files.readAllBytes(file.get());
                } catch (IOException e) {
                    throw failed("cannot read the key-encryption key file " + file.get() + " ("
                            + e.getClass().getSimpleName() + ")");
                }
            } else if (inline.isPresent()) {
                bytes = inline.get().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            } else {
                throw failed("no key-encryption key is configured, so secrets cannot be stored or read: start the"
                        + " control plane with GATEHOUSE_KEK_FILE (make one with `gatehouse kek create FILE`)");
            }
            if (loaded == null || !Arrays.equals(bytes, loadedBytes)) {
                try {
                    loaded = KekKeyset.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
                    loadedBytes = bytes;
                } catch (GeneralSecurityException e) {
                    throw failed("the key-encryption key (" + describe() + ") is unusable: " + e.getMessage());
                }
            }
            return loaded;
        } finally {
            lock.unlock();
        }
    }

    /** Equal when they read the same file or hold the same keyset (settings compare by value). */
    @Override
    public boolean equals(Object other) {
        return other instanceof KekSource k && k.file.equals(file) && k.inline.equals(inline);
    }

    @Override
    public int hashCode() {
        return file.hashCode() * 31 + inline.hashCode();
    }

    @Override
    public String toString() {
        return "KekSource[" + describe() + "]";
    }

    private static io.grpc.StatusRuntimeException failed(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }
}
