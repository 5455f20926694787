package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.WatchClient;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane's {@code /metrics} contract: every family's name, type, help text and series
 * (label names and values) as operators' dashboards and alerts (deploy/grafana) see them, scraped
 * from a running replica with one data plane that ACKed the active version. Sample values and the
 * order of families are not part of the contract; promtool checks the format in the data plane's
 * FleetObservabilityTest.
 */
class ControlPlaneMetricsTest {

    /** The exposition's shape when the replica serves mutual TLS. */
    private static final String TLS_SHAPE = """
            # HELP gatehouse_cp_acks_total ACKs received by this replica
            # HELP gatehouse_cp_active_version Active config version (0 = none)
            # HELP gatehouse_cp_admin_refused_total Admin calls refused (no or non-admin certificate)
            # HELP gatehouse_cp_dashboard_live_subscribers Open /api/live streams
            # HELP gatehouse_cp_dashboard_reads_failed_total Data plane /metrics reads by the dashboard sampler that failed or were malformed
            # HELP gatehouse_cp_dashboard_slow_subscribers_dropped_total /api/live streams closed because the reader fell too far behind
            # HELP gatehouse_cp_dashboard_values_dropped_total Dashboard series values not kept because the series cap was reached
            # HELP gatehouse_cp_data_plane_acked_version Config version each known data plane ACKed last
            # HELP gatehouse_cp_data_plane_cert_expiry_seconds When the certificate each data plane last connected with expires (Unix time, seconds)
            # HELP gatehouse_cp_data_planes_behind Connected data planes that have not ACKed the active version
            # HELP gatehouse_cp_data_planes_connected Data planes connected to any replica
            # HELP gatehouse_cp_insecure_plaintext 1 when the gRPC port serves plaintext (--insecure-plaintext): data planes and admins are not authenticated
            # HELP gatehouse_cp_load_report_parts_dropped_total Invalid parts of data planes' load reports dropped by this replica (issue 17)
            # HELP gatehouse_cp_nacks_total NACKs received by this replica
            # HELP gatehouse_cp_push_ack_seconds Time from pushing a snapshot to its ACK
            # HELP gatehouse_cp_pushes_total Snapshots pushed to data planes by this replica
            # HELP gatehouse_cp_rejected_configs_total Apply requests rejected by validation
            # HELP gatehouse_cp_tls_cert_expiry_seconds When this replica's serving certificate expires (Unix time, seconds)
            # HELP gatehouse_cp_tls_refused_total TLS handshakes refused because of the client certificate, by reason
            # HELP gatehouse_cp_tls_reload_failures_total Checks that found changed TLS files which could not be used (the previous ones stay)
            # HELP gatehouse_cp_tls_reloads_total Times new TLS certificate/key or CA files were loaded without a restart
            # HELP gatehouse_cp_watch_refused_total Watch streams refused after the handshake (no or wrong certificate, node or region mismatch)
            # HELP gatehouse_cp_watch_streams Data plane watch streams open on this replica
            # TYPE gatehouse_cp_acks_total counter
            # TYPE gatehouse_cp_active_version gauge
            # TYPE gatehouse_cp_admin_refused_total counter
            # TYPE gatehouse_cp_dashboard_live_subscribers gauge
            # TYPE gatehouse_cp_dashboard_reads_failed_total counter
            # TYPE gatehouse_cp_dashboard_slow_subscribers_dropped_total counter
            # TYPE gatehouse_cp_dashboard_values_dropped_total counter
            # TYPE gatehouse_cp_data_plane_acked_version gauge
            # TYPE gatehouse_cp_data_plane_cert_expiry_seconds gauge
            # TYPE gatehouse_cp_data_planes_behind gauge
            # TYPE gatehouse_cp_data_planes_connected gauge
            # TYPE gatehouse_cp_insecure_plaintext gauge
            # TYPE gatehouse_cp_load_report_parts_dropped_total counter
            # TYPE gatehouse_cp_nacks_total counter
            # TYPE gatehouse_cp_push_ack_seconds histogram
            # TYPE gatehouse_cp_pushes_total counter
            # TYPE gatehouse_cp_rejected_configs_total counter
            # TYPE gatehouse_cp_tls_cert_expiry_seconds gauge
            # TYPE gatehouse_cp_tls_refused_total counter
            # TYPE gatehouse_cp_tls_reload_failures_total counter
            # TYPE gatehouse_cp_tls_reloads_total counter
            # TYPE gatehouse_cp_watch_refused_total counter
            # TYPE gatehouse_cp_watch_streams gauge
            gatehouse_cp_acks_total
            gatehouse_cp_active_version
            gatehouse_cp_admin_refused_total{reason="expired_token"}
            gatehouse_cp_admin_refused_total{reason="insufficient_role"}
            gatehouse_cp_admin_refused_total{reason="invalid_token"}
            gatehouse_cp_admin_refused_total{reason="no_client_certificate"}
            gatehouse_cp_admin_refused_total{reason="no_credentials"}
            gatehouse_cp_admin_refused_total{reason="node_id_mismatch"}
            gatehouse_cp_admin_refused_total{reason="not_a_data_plane"}
            gatehouse_cp_admin_refused_total{reason="not_an_admin"}
            gatehouse_cp_admin_refused_total{reason="region_mismatch"}
            gatehouse_cp_admin_refused_total{reason="revoked_token"}
            gatehouse_cp_admin_refused_total{reason="unlisted_method"}
            gatehouse_cp_dashboard_live_subscribers
            gatehouse_cp_dashboard_reads_failed_total
            gatehouse_cp_dashboard_slow_subscribers_dropped_total
            gatehouse_cp_dashboard_values_dropped_total
            gatehouse_cp_data_plane_acked_version{node="dp-metrics-1",region="eu",connected="true"}
            gatehouse_cp_data_plane_cert_expiry_seconds{node="dp-metrics-1",region="eu"}
            gatehouse_cp_data_planes_behind
            gatehouse_cp_data_planes_connected
            gatehouse_cp_insecure_plaintext
            gatehouse_cp_load_report_parts_dropped_total
            gatehouse_cp_nacks_total
            gatehouse_cp_push_ack_seconds_bucket{le="+Inf"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.005"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.01"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.025"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.05"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.1"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.25"}
            gatehouse_cp_push_ack_seconds_bucket{le="0.5"}
            gatehouse_cp_push_ack_seconds_bucket{le="1"}
            gatehouse_cp_push_ack_seconds_bucket{le="10"}
            gatehouse_cp_push_ack_seconds_bucket{le="2.5"}
            gatehouse_cp_push_ack_seconds_bucket{le="30"}
            gatehouse_cp_push_ack_seconds_bucket{le="5"}
            gatehouse_cp_push_ack_seconds_count
            gatehouse_cp_push_ack_seconds_sum
            gatehouse_cp_pushes_total
            gatehouse_cp_rejected_configs_total
            gatehouse_cp_tls_cert_expiry_seconds
            gatehouse_cp_tls_refused_total{reason="bad_identity"}
            gatehouse_cp_tls_refused_total{reason="expired_certificate"}
            gatehouse_cp_tls_refused_total{reason="untrusted_certificate"}
            gatehouse_cp_tls_refused_total{reason="wrong_role"}
            gatehouse_cp_tls_reload_failures_total
            gatehouse_cp_tls_reloads_total
            gatehouse_cp_watch_refused_total{reason="expired_token"}
            gatehouse_cp_watch_refused_total{reason="insufficient_role"}
            gatehouse_cp_watch_refused_total{reason="invalid_token"}
            gatehouse_cp_watch_refused_total{reason="no_client_certificate"}
            gatehouse_cp_watch_refused_total{reason="no_credentials"}
            gatehouse_cp_watch_refused_total{reason="node_id_mismatch"}
            gatehouse_cp_watch_refused_total{reason="not_a_data_plane"}
            gatehouse_cp_watch_refused_total{reason="not_an_admin"}
            gatehouse_cp_watch_refused_total{reason="region_mismatch"}
            gatehouse_cp_watch_refused_total{reason="revoked_token"}
            gatehouse_cp_watch_refused_total{reason="unlisted_method"}
            gatehouse_cp_watch_streams
            """;

    @RegisterExtension final Closer closer = new Closer();

    @Test
    void tlsReplicaExportsEveryFamilyWithItsHelpTypeAndLabels() {
        TestDatabase db = closer.track(TestDatabase.createMigrated());
        RunningControlPlane cp = closer.track(RunningControlPlane.start(db));
        connectedDataPlaneAcks(cp);

        assertThat(shape(cp.httpGet("/metrics").body())).containsExactlyElementsOf(lines(TLS_SHAPE));
    }

    @Test
    void plaintextReplicaExportsTheSameFamiliesButNoCertificateOnes() {
        TestDatabase db = closer.track(TestDatabase.createMigrated());
        RunningControlPlane cp = closer.track(RunningControlPlane.startPlaintext(db));
        connectedDataPlaneAcks(cp);

        // A plaintext replica has no serving certificate and its data planes present none.
        List<String> expected = lines(TLS_SHAPE).stream()
                .filter(line -> !line.contains("gatehouse_cp_tls_cert_expiry_seconds")
                        && !line.contains("gatehouse_cp_tls_reload")
                        && !line.startsWith("gatehouse_cp_data_plane_cert_expiry_seconds{"))
                .toList();
        assertThat(shape(cp.httpGet("/metrics").body())).containsExactlyElementsOf(expected);
    }

    /** Applies a config and has data plane dp-metrics-1 (region eu) ACK it on an open stream. */
    private void connectedDataPlaneAcks(RunningControlPlane cp) {
        cp.admin().apply(ApplyRequest.newBuilder().setConfig(TestConfigs.numbered(1)).setAuthor("test").build());
        WatchClient dp = closer.track(WatchClient.open(cp, "dp-metrics-1", "eu", ""));
        dp.ack(dp.next());
        Await.until("the ACK is counted and recorded", () -> {
            String metrics = cp.httpGet("/metrics").body();
            return metrics.contains("\ngatehouse_cp_acks_total 1\n") && metrics.contains("connected=\"true\"} 1\n");
        });
    }

    /** HELP and TYPE lines as they are, sample lines without their value; sorted, without duplicates. */
    static List<String> shape(String exposition) {
        TreeSet<String> shape = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            shape.add(line.startsWith("#") ? line : line.substring(0, line.lastIndexOf(' ')));
        }
        return List.copyOf(shape);
    }

    private static List<String> lines(String text) {
        return List.copyOf(new TreeSet<>(text.lines().toList()));
    }
}
