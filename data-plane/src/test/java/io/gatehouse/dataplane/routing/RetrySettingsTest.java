package io.gatehouse.dataplane.routing;

import com.google.protobuf.util.Durations;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.helidon.http.Method;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RetrySettingsTest {

    @Test
    void routePolicyWinsOverDefaultsAndUnsetFieldsTakeTheBuiltIns() {
        RetryPolicy defaults = RetryPolicy.newBuilder().setRetries(5).build();
        RetrySettings route = RetrySettings.resolve(true, RetryPolicy.newBuilder().setRetries(2)
                .addRetryOn(RetryCondition.STATUS_503).build(), true, defaults);
        assertThat(route.retries()).isEqualTo(2);
        assertThat(route.retryOn()).containsExactly(RetryCondition.STATUS_503);
        assertThat(route.budgetPercent()).isEqualTo(20);
        assertThat(route.bufferBodyBytes()).isEqualTo(64 * 1024);
        assertThat(route.baseBackoff()).isEqualTo(Duration.ofMillis(25));

        RetrySettings fromDefaults = RetrySettings.resolve(false, RetryPolicy.getDefaultInstance(), true, defaults);
        assertThat(fromDefaults.retries()).isEqualTo(5);
        assertThat(fromDefaults.retryOn()).hasSize(5);
        assertThat(RetrySettings.resolve(false, RetryPolicy.getDefaultInstance(), false, defaults).retries()).isZero();
    }

    @Test
    void onlyIdempotentMethodsUnlessTheRouteSaysOtherwise() {
        RetrySettings settings = RetrySettings.of(RetryPolicy.newBuilder().setRetries(1).build());
        for (Method method : Set.of(Method.GET, Method.HEAD, Method.OPTIONS, Method.PUT, Method.DELETE)) {
            assertThat(settings.allowsMethod(method)).as(method.text()).isTrue();
        }
        assertThat(settings.allowsMethod(Method.POST)).isFalse();
        assertThat(settings.allowsMethod(Method.PATCH)).isFalse();
        assertThat(RetrySettings.of(RetryPolicy.newBuilder().setRetries(1).setRetryNonIdempotent(true).build())
                .allowsMethod(Method.POST)).isTrue();
        assertThat(RetrySettings.NONE.allowsMethod(Method.GET)).isFalse();
    }

    @Test
    void fullJitterBackoffIsCappedExponential() {
        RetrySettings settings = RetrySettings.of(RetryPolicy.newBuilder().setRetries(10)
                .setBaseBackoff(Durations.fromMillis(10)).setMaxBackoff(Durations.fromMillis(100)).build());
        // the ceiling for a random draw just below 1
        assertThat(settings.backoff(1, 0.999_999).toMillis()).isEqualTo(9);
        assertThat(settings.backoff(2, 0.999_999).toMillis()).isEqualTo(19);
        assertThat(settings.backoff(4, 0.999_999).toMillis()).isEqualTo(79);
        assertThat(settings.backoff(5, 0.999_999).toMillis()).isEqualTo(99); // capped
        assertThat(settings.backoff(60, 0.999_999).toMillis()).isEqualTo(99); // no overflow
        assertThat(settings.backoff(3, 0.0)).isEqualTo(Duration.ZERO);
        assertThat(settings.backoff(3, 0.5)).isEqualTo(Duration.ofMillis(20));
    }
}
