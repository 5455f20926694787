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
    }
}
