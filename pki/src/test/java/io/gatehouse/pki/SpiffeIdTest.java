package io.gatehouse.pki;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpiffeIdTest {

    @Test
    void formatsAndParsesEveryRole() {
        assertThat(SpiffeId.dataPlane("us", "dp-us-1").uri()).isEqualTo("spiffe://gatehouse/dp/us/dp-us-1");
        assertThat(SpiffeId.anyDataPlaneOf("eu").uri()).isEqualTo("spiffe://gatehouse/dp/eu");
        assertThat(SpiffeId.controlPlane("cp").uri()).isEqualTo("spiffe://gatehouse/cp/cp");
        assertThat(SpiffeId.admin("alice").uri()).isEqualTo("spiffe://gatehouse/admin/alice");
        for (SpiffeId id : new SpiffeId[] {SpiffeId.dataPlane("us", "dp-us-1"), SpiffeId.anyDataPlaneOf("eu"),
                SpiffeId.controlPlane("cp"), SpiffeId.admin("alice")}) {
            assertThat(SpiffeId.parse(id.uri())).isEqualTo(id);
        }
    }

    @Test
    void pinnedIdentityAdmitsOnlyItsNodeAndRegion() {
        SpiffeId id = SpiffeId.dataPlane("us", "dp-us-1");
        assertThat(id.admits("dp-us-1", "us")).isTrue();
        assertThat(id.admits("dp-eu-1", "us")).isFalse();
        assertThat(id.admits("dp-us-1", "eu")).isFalse();
        assertThat(id.nodeId()).contains("dp-us-1");
    }

    @Test
    void regionWideIdentityAdmitsAnyNodeOfItsRegionOnly() {
        SpiffeId id = SpiffeId.anyDataPlaneOf("eu");
        assertThat(id.admits("data-plane-eu-7f9c", "eu")).isTrue();
        assertThat(id.admits("data-plane-eu-7f9c", "us")).isFalse();
        assertThat(id.nodeId()).isEmpty();
        assertThat(SpiffeId.admin("alice").admits("alice", "")).isFalse();
    }

    @Test
    void rejectsOtherTrustDomainsKindsAndSegments() {
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://example.org/dp/us/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://gatehouse/root/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://gatehouse/dp/us/a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://gatehouse/dp//x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://gatehouse/admin/..")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://gatehouse/admin/a?b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpiffeId.dataPlane("", "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
