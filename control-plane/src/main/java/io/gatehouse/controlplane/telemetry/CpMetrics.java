package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.store.DataPlaneRecord;

import java.util.List;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The control plane replica's metrics in Prometheus text format. Counters are this replica's
 * (LongAdder, lock-free); fleet gauges (data planes, versions, drift) are computed at scrape time
 * from the shared database, so every replica reports the same fleet. A hand-written exposition
 * writer: the handful of metrics does not justify the OTel metrics SDK plus a Prometheus exporter
 * (see control-plane/README.md). Thread-safe.
 */
public final class CpMetrics {

    static final double[] PUSH_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final LongAdder pushes = new LongAdder();
    private final LongAdder acks = new LongAdder();
    private final LongAdder nacks = new LongAdder();
    private final LongAdder rejectedConfigs = new LongAdder();
    private final LongAdder[] pushLatency = new LongAdder[PUSH_BUCKETS.length + 1];
    private final DoubleAdder pushLatencySum = new DoubleAdder();
    private final TrustMetrics trust = new TrustMetrics();

    CpMetrics() {
        for (int i = 0; i < pushLatency.length; i++) {
            pushLatency[i] = new LongAdder();
        }
    }

    void pushed() {
        pushes.increment();
    }

    void acked(long latencyNanos) {
        acks.increment();
        if (latencyNanos >= 0) {
            double seconds = latencyNanos / 1e9;
            int i = 0;
            while (i < PUSH_BUCKETS.length && seconds > PUSH_BUCKETS[i]) {
                i++;
            }
            pushLatency[i].increment();
            pushLatencySum.add(seconds);
        }
    }

    void nacked() {
        nacks.increment();
    }

    void rejectedConfig() {
        rejectedConfigs.increment();
    }

    public long pushes() {
        return pushes.sum();
    }

    public long acks() {
        return acks.sum();
    }

    public long nacks() {
        return nacks.sum();
    }

    /** Watch streams refused for {@code reason} by this replica. */
    public long watchRefused(io.gatehouse.controlplane.trust.AccessRefusal reason) {
        return trust.watchRefused(reason);
    }

    /** TLS handshakes refused for {@code reason} by this replica. */
    public long handshakesRefused(io.gatehouse.pki.HandshakeRefusal.Reason reason) {
        return trust.handshakesRefused(reason);
    }

    /** Says what the gRPC port serves: mutual TLS with these credentials, or (empty) plaintext. Call at start. */
    public void serving(java.util.Optional<io.gatehouse.pki.ReloadingCredentials> tls) {
        trust.serving(tls);
    }

    TrustMetrics trust() {
        return trust;
    }

    /**
     * The exposition.
     *
     * @param openStreams   watch streams open on this replica
     * @param activeVersion the active config version (0 = none)
     * @param fleet         all known data planes
     */
    public String scrape(int openStreams, long activeVersion, List<DataPlaneRecord> fleet) {
        StringBuilder out = new StringBuilder(2048);
        gauge(out, "gatehouse_cp_watch_streams", "Data plane watch streams open on this replica", openStreams);
        gauge(out, "gatehouse_cp_active_version", "Active config version (0 = none)", activeVersion);
        long connected = fleet.stream().filter(DataPlaneRecord::connected).count();
        long behind = fleet.stream().filter(d -> d.connected() && d.ackedVersion() < activeVersion).count();
        gauge(out, "gatehouse_cp_data_planes_connected", "Data planes connected to any replica", connected);
        gauge(out, "gatehouse_cp_data_planes_behind",
                "Connected data planes that have not ACKed the active version", behind);
        out.append("# HELP gatehouse_cp_data_plane_acked_version Config version each known data plane ACKed last\n")
                .append("# TYPE gatehouse_cp_data_plane_acked_version gauge\n");
        for (DataPlaneRecord dp : fleet) {
            out.append("gatehouse_cp_data_plane_acked_version{node=\"").append(escape(dp.id()))
                    .append("\",region=\"").append(escape(dp.region())).append("\",connected=\"")
                    .append(dp.connected()).append("\"} ").append(dp.ackedVersion()).append('\n');
        }
        counter(out, "gatehouse_cp_pushes_total", "Snapshots pushed to data planes by this replica", pushes.sum());
        counter(out, "gatehouse_cp_acks_total", "ACKs received by this replica", acks.sum());
        counter(out, "gatehouse_cp_nacks_total", "NACKs received by this replica", nacks.sum());
        counter(out, "gatehouse_cp_rejected_configs_total", "Apply requests rejected by validation",
                rejectedConfigs.sum());
        out.append("# HELP gatehouse_cp_push_ack_seconds Time from pushing a snapshot to its ACK\n")
                .append("# TYPE gatehouse_cp_push_ack_seconds histogram\n");
        long cumulative = 0;
        for (int i = 0; i < pushLatency.length; i++) {
            cumulative += pushLatency[i].sum();
            String le = i < PUSH_BUCKETS.length ? number(PUSH_BUCKETS[i]) : "+Inf";
            out.append("gatehouse_cp_push_ack_seconds_bucket{le=\"").append(le).append("\"} ").append(cumulative)
                    .append('\n');
        }
        out.append("gatehouse_cp_push_ack_seconds_sum ").append(number(pushLatencySum.sum())).append('\n');
        out.append("gatehouse_cp_push_ack_seconds_count ").append(cumulative).append('\n');
        trust.scrape(out, fleet);
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
