package io.gatehouse.controlplane.admin;

import io.gatehouse.proto.admin.v1.ChangeKind;
import io.gatehouse.proto.admin.v1.DiffEntry;
import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ConfigDiffTest {

    private static final GatewayConfig BASE = yaml("""
            upstreams:
              - name: api
                targets: [{url: "http://10.0.0.1:80"}, {url: "http://10.0.0.2:80"}]
              - name: users
                targets: [{url: "http://10.0.1.1:80"}]
            routes:
              - id: users
                match: {pathPrefix: /users}
                upstream: users
                timeouts: {request: 5s}
              - id: api
                match: {pathPrefix: /api}
                upstream: api
            """);

    private static List<DiffEntry> diff(GatewayConfig to) {
        return ConfigDiff.diff(BASE, to);
    }

    @Test
    void identicalConfigsHaveNoDifferences() {
        assertThat(diff(BASE)).isEmpty();
    }

    @Test
    void reorderingRoutesIsNotAChangeBecauseRoutesAreMatchedById() {
        GatewayConfig reordered = BASE.toBuilder().clearRoutes()
                .addRoutes(BASE.getRoutes(1)).addRoutes(BASE.getRoutes(0)).build();
        assertThat(diff(reordered)).isEmpty();
    }

    @Test
    void changedScalarIsReportedWithKeyedPathAndJsonValues() {
        GatewayConfig to = yaml("""
                upstreams:
                  - name: api
                    targets: [{url: "http://10.0.0.9:80"}, {url: "http://10.0.0.2:80"}]
                  - name: users
                    targets: [{url: "http://10.0.1.1:80"}]
                routes:
                  - id: users
                    match: {pathPrefix: /users}
                    upstream: users
                    timeouts: {request: 7s}
                  - id: api
                    match: {pathPrefix: /api}
                    upstream: api
                """);
        assertThat(diff(to)).extracting(DiffEntry::getKind, DiffEntry::getPath, DiffEntry::getOldValue,
                DiffEntry::getNewValue).containsExactly(
                tuple(ChangeKind.CHANGED, "upstreams[name=api].targets[0].url", "\"http://10.0.0.1:80\"",
                        "\"http://10.0.0.9:80\""),
                tuple(ChangeKind.CHANGED, "routes[id=users].timeouts.request", "\"5s\"", "\"7s\""));
    }

    @Test
    void addedAndRemovedElementsAndFieldsAreReported() {
        GatewayConfig to = yaml("""
                upstreams:
                  - name: api
                    targets: [{url: "http://10.0.0.1:80"}]
                  - name: users
                    targets: [{url: "http://10.0.1.1:80", weight: 5}]
                routes:
                  - id: users
                    match: {pathPrefix: /users}
                    upstream: users
                  - id: health
                    match: {pathPrefix: /health}
                    upstream: api
                """);
        List<DiffEntry> entries = diff(to);
        assertThat(entries).extracting(DiffEntry::getKind, DiffEntry::getPath).containsExactly(
                tuple(ChangeKind.REMOVED, "upstreams[name=api].targets[1]"),
                tuple(ChangeKind.ADDED, "upstreams[name=users].targets[0].weight"),
                tuple(ChangeKind.REMOVED, "routes[id=users].timeouts"),
                tuple(ChangeKind.REMOVED, "routes[id=api]"),
                tuple(ChangeKind.ADDED, "routes[id=health]"));
        DiffEntry added = entries.get(4);
        assertThat(added.getOldValue()).isEmpty();
        assertThat(added.getNewValue()).contains("\"pathPrefix\":\"/health\"");
        assertThat(entries.get(3).getNewValue()).isEmpty();
    }

    @Test
    void diffFromAnEmptyConfigAddsWholeLists() {
        assertThat(ConfigDiff.diff(GatewayConfig.getDefaultInstance(), BASE))
                .extracting(DiffEntry::getKind, DiffEntry::getPath)
                .containsExactly(tuple(ChangeKind.ADDED, "upstreams"), tuple(ChangeKind.ADDED, "routes"));
    }
}
