package io.gatehouse.dataplane.snapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.gatehouse.dataplane.testing.Snapshots.config;
import static io.gatehouse.dataplane.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActiveSnapshotTest {

    @TempDir
    Path dir;

    @Test
    void appliedSnapshotIsInForceAndPersisted() throws Exception {
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(dir));
        assertThat(active.get()).isNull();
        assertThat(active.version()).isZero();

        active.apply(snapshot(4, config("http://127.0.0.1:1", "/a")));

        assertThat(active.version()).isEqualTo(4);
        assertThat(active.get().source()).isEqualTo(SnapshotSource.CONTROL_PLANE);
        assertThat(new LastKnownGoodStore(dir).read()).get().extracting(s -> s.getVersion()).isEqualTo(4L);
    }

    @Test
    void olderVersionAfterANewerOneIsPutInForceAndSaved() throws Exception {
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(dir));
        active.apply(snapshot(9, config("http://127.0.0.1:1", "/a")));

        active.apply(snapshot(8, config("http://127.0.0.1:1", "/b")));

        assertThat(active.version()).isEqualTo(8);
        assertThat(new LastKnownGoodStore(dir).read()).get().extracting(s -> s.getVersion()).isEqualTo(8L);
    }

    @Test
    void theSnapshotInForceSentAgainIsNotRecompiledButFromDiskItIs() throws Exception {
        new LastKnownGoodStore(dir).write(snapshot(4, config("http://127.0.0.1:1", "/a")));
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(dir));
        active.loadFromDisk();
        CompiledSnapshot fromDisk = active.get();

        CompiledSnapshot pushed = active.apply(snapshot(4, config("http://127.0.0.1:1", "/a")));
        CompiledSnapshot again = active.apply(snapshot(4, config("http://127.0.0.1:1", "/a")));

        assertThat(pushed).isNotSameAs(fromDisk);
        assertThat(pushed.source()).isEqualTo(SnapshotSource.CONTROL_PLANE);
        assertThat(again).isSameAs(pushed);
        assertThat(active.get()).isSameAs(pushed);
    }

    @Test
    void snapshotThatCannotBeSavedIsStillInForceAndCountedAsAWriteFailure() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("state"), "a file where the state directory should be");
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(notADirectory));

        active.apply(snapshot(3, config("http://127.0.0.1:1", "/a")));

        assertThat(active.version()).isEqualTo(3);
        assertThat(active.persistFailures()).isEqualTo(1);
    }

    @Test
    void snapshotThatDoesNotCompileLeavesThePreviousOneInForceAndOnDisk() throws Exception {
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(2), new LastKnownGoodStore(dir));
        active.apply(snapshot(1, config("http://127.0.0.1:1", "/a")));
        CompiledSnapshot before = active.get();

        assertThatThrownBy(() -> active.apply(snapshot(2, config("http://127.0.0.1:1", "/a", "/b", "/c"))))
                .isInstanceOf(SnapshotCompileException.class);

        assertThat(active.get()).isSameAs(before);
        assertThat(new LastKnownGoodStore(dir).read()).get().extracting(s -> s.getVersion()).isEqualTo(1L);
    }

    @Test
    void loadFromDiskServesTheStoredSnapshotMarkedAsDisk() throws Exception {
        new LastKnownGoodStore(dir).write(snapshot(7, config("http://127.0.0.1:1", "/a")));
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(dir));

        assertThat(active.loadFromDisk()).isTrue();

        assertThat(active.version()).isEqualTo(7);
        assertThat(active.get().source()).isEqualTo(SnapshotSource.DISK);
    }

    @Test
    void corruptDiskSnapshotStartsEmptyInsteadOfFailing() throws Exception {
        Files.writeString(dir.resolve("last-known-good.pb"), "this is not a protobuf message at all");
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(5), new LastKnownGoodStore(dir));

        assertThat(active.loadFromDisk()).isFalse();
        assertThat(active.get()).isNull();
    }
}
