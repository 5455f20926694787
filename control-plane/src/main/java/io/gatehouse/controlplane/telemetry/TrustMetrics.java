package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.controlplane.trust.AccessRefusal;
import io.gatehouse.controlplane.trust.Caller;
import io.gatehouse.controlplane.trust.TrustEvents;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The transport-security part of the replica's metrics, and the {@link TrustEvents} sink that feeds
 * them and the security log: refused handshakes and calls by reason, this replica's certificate
 * expiry and reloads, the data planes' certificate expiries (from the database, so every replica
 * reports the fleet), and whether the port is plaintext. Every reason is exported from the start
 * (zeros included) so alerts on {@code increase(...)} work from the first refusal. Thread-safe.
 */
final class TrustMetrics implements TrustEvents {

    private final Map<HandshakeRefusal.Reason, LongAdder> handshakes = counters(HandshakeRefusal.Reason.class);
    private final Map<AccessRefusal, LongAdder> watch = counters(AccessRefusal.class);
    private final Map<AccessRefusal, LongAdder> admin = counters(AccessRefusal.class);
    /** Set once at start: empty = plaintext. */
    private volatile Optional<ReloadingCredentials> tls = Optional.empty();

    void serving(Optional<ReloadingCredentials> credentials) {
        this.tls = credentials;
    }

    @Override
    public void callRefused(Service service, AccessRefusal reason, Caller caller, String detail) {
        (service == Service.WATCH ? watch : admin).get(reason).increment();
        SecurityEvents.callRefused(service.name().toLowerCase(java.util.Locale.ROOT), reason.label(),
                caller.describe(), detail);
    }

    @Override
    public void handshakeRefused(HandshakeRefusal refusal) {
        handshakes.get(refusal.reason()).increment();
        SecurityEvents.handshakeRefused(refusal);
    }

    long watchRefused(AccessRefusal reason) {
        return watch.get(reason).sum();
    }

    long handshakesRefused(HandshakeRefusal.Reason reason) {
        return handshakes.get(reason).sum();
    }

    void scrape(StringBuilder out, List<DataPlaneRecord> fleet) {
        Optional<ReloadingCredentials> credentials = tls;
        gauge(out, "gatehouse_cp_insecure_plaintext",
                "1 when the gRPC port serves plaintext (--insecure-plaintext): data planes and admins are not authenticated",
                credentials.isEmpty() ? 1 : 0);
        credentials.ifPresent(c -> {
            gauge(out, "gatehouse_cp_tls_cert_expiry_seconds",
                    "When this replica's serving certificate expires (Unix time, seconds)", c.notAfter().getEpochSecond());
            counter(out, "gatehouse_cp_tls_reloads_total",
                    "Times new TLS certificate/key or CA files were loaded without a restart", c.reloads());
            counter(out, "gatehouse_cp_tls_reload_failures_total",
                    "Checks that found changed TLS files which could not be used (the previous ones stay)",
                    c.reloadFailures());
        });
        labelled(out, "gatehouse_cp_tls_refused_total",
                "TLS handshakes refused because of the client certificate, by reason", handshakes,
                HandshakeRefusal.Reason::label);
        labelled(out, "gatehouse_cp_watch_refused_total",
                "Watch streams refused after the handshake (no or wrong certificate, node or region mismatch)",
                watch, AccessRefusal::label);
        labelled(out, "gatehouse_cp_admin_refused_total", "Admin calls refused (no or non-admin certificate)",
                admin, AccessRefusal::label);
        out.append("# HELP gatehouse_cp_data_plane_cert_expiry_seconds When the certificate each data plane last"
                        + " connected with expires (Unix time, seconds)\n")
                .append("# TYPE gatehouse_cp_data_plane_cert_expiry_seconds gauge\n");
        for (DataPlaneRecord dp : fleet) {
            dp.certNotAfter().ifPresent(t -> out.append("gatehouse_cp_data_plane_cert_expiry_seconds{node=\"")
                    .append(CpMetrics.escape(dp.id())).append("\",region=\"").append(CpMetrics.escape(dp.region()))
                    .append("\"} ").append(t.getEpochSecond()).append('\n'));
        }
    }

    private static <E extends Enum<E>> Map<E, LongAdder> counters(Class<E> type) {
        Map<E, LongAdder> map = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) {
            map.put(e, new LongAdder());
        }
        return map;
    }

    private static <E extends Enum<E>> void labelled(StringBuilder out, String name, String help, Map<E, LongAdder> counts,
                                                     java.util.function.Function<E, String> label) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n");
        counts.forEach((reason, count) -> out.append(name).append("{reason=\"").append(label.apply(reason))
                .append("\"} ").append(count.sum()).append('\n'));
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
}
