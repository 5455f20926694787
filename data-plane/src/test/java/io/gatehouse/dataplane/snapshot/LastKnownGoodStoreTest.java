package io.gatehouse.dataplane.snapshot;

import io.gatehouse.proto.discovery.v1.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.gatehouse.dataplane.testing.Snapshots.config;
import static io.gatehouse.dataplane.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

class LastKnownGoodStoreTest {

    @TempDir
    Path dir;

    @Test
    void writtenSnapshotIsReadBackIdentically() throws Exception {
        LastKnownGoodStore store = new LastKnownGoodStore(dir.resolve("nested/state"));
        Snapshot snapshot = snapshot(5, config("http://127.0.0.1:1", "/a"));

        store.write(snapshot);

        assertThat(new LastKnownGoodStore(dir.resolve("nested/state")).read()).hasValue(snapshot);
    }

    @Test
    void rewriteReplacesTheFileAndLeavesNoTemporaryFiles() throws Exception {
        LastKnownGoodStore store = new LastKnownGoodStore(dir);
        store.write(snapshot(1, config("http://127.0.0.1:1", "/a")));
        Snapshot second = snapshot(2, config("http://127.0.0.1:2", "/b"));

        store.write(second);

        assertThat(store.read()).hasValue(second);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("last-known-good.pb");
        }
    }

    @Test
    void missingFileIsEmpty() {
        assertThat(new LastKnownGoodStore(dir.resolve("never-written")).read()).isEmpty();
    }

    @Test
    void corruptFileIsIgnoredNotFatal() throws Exception {
        LastKnownGoodStore store = new LastKnownGoodStore(dir);
        Files.write(store.file(), new byte[] {(byte) 0xff, 0x13, 0x37, 0x00, 0x42});

        assertThat(store.read()).isEmpty();
    }

    @Test
    void truncatedFileIsIgnored() throws Exception {
        LastKnownGoodStore store = new LastKnownGoodStore(dir);
        store.write(snapshot(9, config("http://127.0.0.1:1", "/a", "/b")));
        byte[] bytes = Files.readAllBytes(store.file());
        Files.write(store.file(), java.util.Arrays.copyOf(bytes, bytes.length - 7));

        assertThat(store.read()).isEmpty();
    }

    @Test
    void fileWhoseConfigDoesNotMatchItsShaIsIgnored() throws Exception {
        LastKnownGoodStore store = new LastKnownGoodStore(dir);
        Snapshot tampered = snapshot(3, config("http://127.0.0.1:1", "/a")).toBuilder()
                .setConfig(config("http://127.0.0.1:1", "/other")).build();
        Files.write(store.file(), tampered.toByteArray());

        assertThat(store.read()).isEmpty();
    }
}
