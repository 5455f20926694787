package io.gatehouse.controlplane.discovery;

import io.gatehouse.proto.discovery.v1.Snapshot;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotVersionTest {

    @Test
    void versionInfoIsTheBareConfigVersionUntilKeysExist() {
        assertThat(SnapshotVersion.of(Snapshot.newBuilder().setVersion(7).build()).versionInfo()).isEqualTo("7");
        assertThat(SnapshotVersion.of(Snapshot.newBuilder().setVersion(7).setKeysRevision(3).build()).versionInfo())
                .isEqualTo("7.3");
    }

    @Test
    void parsesWhatDataPlanesReport() {
        assertThat(SnapshotVersion.parse("")).isEqualTo(SnapshotVersion.NONE);
        assertThat(SnapshotVersion.parse("12")).isEqualTo(new SnapshotVersion(12, 0));
        assertThat(SnapshotVersion.parse(" 12.4 ")).isEqualTo(new SnapshotVersion(12, 4));
        assertThat(SnapshotVersion.parse("12.x")).isEqualTo(SnapshotVersion.UNKNOWN);
        assertThat(SnapshotVersion.parse("v12")).isEqualTo(SnapshotVersion.UNKNOWN);
    }

    @Test
    void ordersByConfigVersionThenKeyRevision() {
        assertThat(new SnapshotVersion(5, 9)).isLessThan(new SnapshotVersion(6, 0));
        assertThat(new SnapshotVersion(5, 2)).isLessThan(new SnapshotVersion(5, 3));
        assertThat(new SnapshotVersion(5, 3)).isEqualByComparingTo(new SnapshotVersion(5, 3));
    }
}
