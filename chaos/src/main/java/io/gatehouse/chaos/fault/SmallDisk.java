package io.gatehouse.chaos.fault;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A tiny tmpfs mounted on a directory (a data plane's last-known-good directory) that the harness
 * fills to the last byte and frees again: a real ENOSPC from the kernel, not a simulated exception.
 * Needs root (mount); {@link #mount} is empty where mounting is not allowed, and the scenario says so.
 */
public final class SmallDisk implements AutoCloseable {

    private static final String FILLER = "chaos-filler";
    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} on {@code dir} (created), owner-only like a state directory. */
    public static Optional<SmallDisk> mount(Path dir, long bytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0700", "tmpfs",
                dir.toString()).redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        if (mount.waitFor() != 0) {
            System.err.println("chaos: cannot mount a tmpfs on " + dir + " (" + out.trim() + "); disk-full scenario skipped");
            return Optional.empty();
        }
        return Optional.of(new SmallDisk(dir));
    }

    /** Writes a filler file until the file system refuses another byte. */
    public void fill() throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve(FILLER))) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        // tmpfs allocates in pages; finish the last partial one byte by byte
        try (OutputStream out = Files.newOutputStream(dir.resolve(FILLER + "-tail"))) {
            while (true) {
                out.write(0);
                out.flush();
            }
        } catch (IOException e) {
            // full
        }
    }

    /** Removes the filler: space is back. */
    public void free() throws IOException {
        Files.deleteIfExists(dir.resolve(FILLER));
        Files.deleteIfExists(dir.resolve(FILLER + "-tail"));
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder(List.of("umount", "-l", dir.toString())).redirectErrorStream(true).start().waitFor();
        } catch (IOException e) {
            System.err.println("chaos: umount " + dir + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
