package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Histogram;
import io.gatehouse.observability.metrics.Metrics;

import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The control plane replica's metrics, on the shared {@link Metrics} registry and written in
 * Prometheus text format by it. Counters are this replica's; fleet gauges (data planes, versions,
 * drift) are read from the shared database at scrape time, once per scrape for all of them
 * ({@link Metrics#oncePerScrape}), so every replica reports the same fleet. Why a hand-written
 * registry rather than the OTel metrics SDK: see observability/README.md. Thread-safe.
 */
public final class CpMetrics {

    static final double[] PUSH_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    /** What the fleet gauges are computed from; read once per scrape. */
    private record Fleet(long activeVersion, List<DataPlaneRecord> dataPlanes) {
        long connected() {
            return dataPlanes.stream().filter(DataPlaneRecord::connected).count();
        }

        long behind() {
            return dataPlanes.stream().filter(d -> d.connected() && d.ackedVersion() < activeVersion).count();
        }
    }

    private final Metrics registry = new Metrics();
    private final Counter pushes = registry.counter("gatehouse_cp_pushes_total",
            "Snapshots pushed to data planes by this replica").labels();
    private final Counter acks = registry.counter("gatehouse_cp_acks_total", "ACKs received by this replica").labels();
    private final Counter nacks = registry.counter("gatehouse_cp_nacks_total", "NACKs received by this replica").labels();
    private final Counter rejectedConfigs = registry.counter("gatehouse_cp_rejected_configs_total",
            "Apply requests rejected by validation").labels();
    private final Histogram pushLatency = registry.histogram("gatehouse_cp_push_ack_seconds",
            "Time from pushing a snapshot to its ACK", PUSH_BUCKETS).labels();
    private final Counter reportPartsDropped = registry.counter("gatehouse_cp_load_report_parts_dropped_total",
            "Invalid parts of data planes' load reports dropped by this replica (issue 17)").labels();
    private final TrustMetrics trust = new TrustMetrics(registry);

    CpMetrics() {
    }

    /**
     * Registers the gauges read at scrape time: watch streams open on this replica, and the fleet
     * (active version, every known data plane) from the database. Call once, when the replica's
     * stores and discovery service exist; a database failure then fails the scrape.
     */
    public void observe(IntSupplier openStreams, LongSupplier activeVersion, Supplier<List<DataPlaneRecord>> dataPlanes) {
        Supplier<Fleet> fleet = registry.oncePerScrape(() -> new Fleet(activeVersion.getAsLong(), dataPlanes.get()));
        registry.gauge("gatehouse_cp_watch_streams", "Data plane watch streams open on this replica",
                openStreams::getAsInt);
        registry.gauge("gatehouse_cp_active_version", "Active config version (0 = none)",
                () -> fleet.get().activeVersion());
        registry.gauge("gatehouse_cp_data_planes_connected", "Data planes connected to any replica",
                () -> fleet.get().connected());
        registry.gauge("gatehouse_cp_data_planes_behind",
                "Connected data planes that have not ACKed the active version", () -> fleet.get().behind());
        registry.collectedGauge("gatehouse_cp_data_plane_acked_version",
                "Config version each known data plane ACKed last",
                out -> fleet.get().dataPlanes().forEach(dp ->
                        out.add(dp.ackedVersion(), dp.id(), dp.region(), Boolean.toString(dp.connected()))),
                "node", "region", "connected");
        registry.collectedGauge("gatehouse_cp_data_plane_cert_expiry_seconds",
                "When the certificate each data plane last connected with expires (Unix time, seconds)",
                out -> fleet.get().dataPlanes().forEach(dp -> dp.certNotAfter().ifPresent(t ->
                        out.add(t.getEpochSecond(), dp.id(), dp.region()))),
                "node", "region");
    }

    void pushed() {
        pushes.inc();
    }

    void acked(long latencyNanos) {
        acks.inc();
        if (latencyNanos >= 0) {
            pushLatency.observeNanos(latencyNanos);
        }
    }

    void nacked() {
        nacks.inc();
    }

    void loadReportDropped(int parts) {
        reportPartsDropped.add(parts);
    }

    public long loadReportPartsDropped() {
        return reportPartsDropped.value();
    }

    void rejectedConfig() {
        rejectedConfigs.inc();
    }

    public long pushes() {
        return pushes.value();
    }

    public long acks() {
        return acks.value();
    }

    public long nacks() {
        return nacks.value();
    }

    /** Watch streams refused for {@code reason} by this replica. */
    public long watchRefused(io.gatehouse.controlplane.trust.AccessRefusal reason) {
        return trust.watchRefused(reason);
    }

    /** TLS handshakes refused for {@code reason} by this replica. */
    public long handshakesRefused(io.gatehouse.pki.HandshakeRefusal.Reason reason) {
        return trust.handshakesRefused(reason);
    }

    /** Says what the gRPC port serves: mutual TLS with these credentials, or (empty) plaintext. Call once, at start. */
    /**
     * The status page's live dashboard: values its sampler could not keep (series cap), data plane
     * /metrics reads that failed, live subscribers, and subscribers dropped for reading too slowly.
     */
    public void observeDashboard(LongSupplier droppedValues, LongSupplier failedReads, IntSupplier subscribers,
                                 LongSupplier slowDropped) {
        registry.counterFrom("gatehouse_cp_dashboard_values_dropped_total",
                "Dashboard series values not kept because the series cap was reached", droppedValues);
        registry.counterFrom("gatehouse_cp_dashboard_reads_failed_total",
                "Data plane /metrics reads by the dashboard sampler that failed or were malformed", failedReads);
        registry.gauge("gatehouse_cp_dashboard_live_subscribers", "Open /api/live streams", subscribers::getAsInt);
        registry.counterFrom("gatehouse_cp_dashboard_slow_subscribers_dropped_total",
                "/api/live streams closed because the reader fell too far behind", slowDropped);
    }

    public void serving(java.util.Optional<io.gatehouse.pki.ReloadingCredentials> tls) {
        trust.serving(tls);
    }

    TrustMetrics trust() {
        return trust;
    }

    /** The exposition (Prometheus text format 0.0.4); reads the fleet from the database. */
    public String scrape() {
        return registry.scrape();
    }
}
