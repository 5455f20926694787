package io.gatehouse.dataplane.routing;

import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.Timeouts;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RouteTimeoutsTest {

    @Test
    void routeValueWinsOverDefaultsWhichWinOverBuiltIns() {
        Timeouts route = Timeouts.newBuilder().setRequest(Durations.fromMillis(250)).build();
        Timeouts defaults = Timeouts.newBuilder().setRequest(Durations.fromSeconds(5))
                .setConnect(Durations.fromMillis(700)).build();

        RouteTimeouts resolved = RouteTimeouts.resolve(route, defaults);

        assertThat(resolved.request()).isEqualTo(Duration.ofMillis(250));
        assertThat(resolved.connect()).isEqualTo(Duration.ofMillis(700));
    }

    @Test
    void builtInsApplyWhenNothingIsSet() {
        RouteTimeouts resolved = RouteTimeouts.resolve(Timeouts.getDefaultInstance(), Timeouts.getDefaultInstance());

        assertThat(resolved.connect()).isEqualTo(Duration.ofSeconds(2));
        assertThat(resolved.request()).isEqualTo(Duration.ofSeconds(30));
        assertThat(resolved.idle()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void idleTimeoutResolvesLikeTheOthers() {
        Timeouts defaults = Timeouts.newBuilder().setIdle(Durations.fromSeconds(9)).build();
        assertThat(RouteTimeouts.resolve(Timeouts.getDefaultInstance(), defaults).idle())
                .isEqualTo(Duration.ofSeconds(9));
        assertThat(RouteTimeouts.resolve(Timeouts.newBuilder().setIdle(Durations.fromMillis(300)).build(), defaults)
                .idle()).isEqualTo(Duration.ofMillis(300));
    }
}
