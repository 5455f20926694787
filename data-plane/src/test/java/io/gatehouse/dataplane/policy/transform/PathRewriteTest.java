package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.routing.PathTemplate;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathRewriteTest {

    @Test
    void prefixRewriteReplacesTheMatchedPrefix() {
        PathRewrite rewrite = PathRewrite.prefix("/api", "/v1");

        assertThat(rewrite.apply("/api/users")).isEqualTo("/v1/users");
        assertThat(rewrite.apply("/api")).isEqualTo("/v1");
        assertThat(rewrite.apply("/api/")).isEqualTo("/v1/");
        assertThat(PathRewrite.prefix("/api/", "/v1/").apply("/api/x")).isEqualTo("/v1/x");
    }

    @Test
    void prefixRewriteToSlashStripsThePrefix() {
        PathRewrite strip = PathRewrite.prefix("/api/v1", "/");

        assertThat(strip.apply("/api/v1/users/1")).isEqualTo("/users/1");
        assertThat(strip.apply("/api/v1")).isEqualTo("/");
        assertThat(strip.apply("/api/v1/")).isEqualTo("/");
    }

    @Test
    void rootPrefixRewritePrependsTheReplacement() {
        assertThat(PathRewrite.prefix("/", "/backend").apply("/x/y")).isEqualTo("/backend/x/y");
        assertThat(PathRewrite.prefix("/", "/").apply("/x")).isEqualTo("/x");
    }

    @Test
    void pathRewriteSubstitutesTemplateVariablesWithTheirRawSegments() {
        PathRewrite rewrite = PathRewrite.path("/v2/orders/{order}/by-{id}",
                PathTemplate.parse("/users/{id}/orders/{order}"));

        assertThat(rewrite.apply("/users/a%20b/orders/7")).isEqualTo("/v2/orders/7/by-a%20b");
    }

    @Test
    void pathRewriteWithoutVariablesIsAFixedPath() {
        assertThat(PathRewrite.path("/status", null).apply("/health")).isEqualTo("/status");
    }

    @Test
    void pathRewriteRejectsUnknownVariables() {
        assertThatThrownBy(() -> PathRewrite.path("/x/{nope}", PathTemplate.parse("/u/{id}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{nope}");
        assertThatThrownBy(() -> PathRewrite.path("/x/{id}", null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
