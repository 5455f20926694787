package io.gatehouse.controlplane.telemetry;

import io.gatehouse.controlplane.trust.AccessRefusal;
import io.gatehouse.controlplane.trust.Caller;
import io.gatehouse.controlplane.trust.TrustEvents;
import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The transport-security part of the replica's metrics, and the {@link TrustEvents} sink that feeds
 * them and the security log: refused handshakes and calls by reason, this replica's certificate
 * expiry and reloads, and whether the port is plaintext (the data planes' certificate expiries are
 * fleet gauges, in {@link CpMetrics}). Every reason is exported from the start (zeros included) so
 * alerts on {@code increase(...)} work from the first refusal. Thread-safe.
 */
final class TrustMetrics implements TrustEvents {

    private final Metrics registry;
    private final Map<HandshakeRefusal.Reason, Counter> handshakes;
    private final Map<AccessRefusal, Counter> watch;
    private final Map<AccessRefusal, Counter> admin;
    /** Set once at start: empty = plaintext. */
    private volatile Optional<ReloadingCredentials> tls = Optional.empty();

    TrustMetrics(Metrics registry) {
        this.registry = registry;
        registry.gauge("gatehouse_cp_insecure_plaintext",
                "1 when the gRPC port serves plaintext (--insecure-plaintext): data planes and admins are not authenticated",
                () -> tls.isEmpty() ? 1 : 0);
        handshakes = byReason(registry.counter("gatehouse_cp_tls_refused_total",
                "TLS handshakes refused because of the client certificate, by reason", "reason"),
                HandshakeRefusal.Reason.class, HandshakeRefusal.Reason::label);
        watch = byReason(registry.counter("gatehouse_cp_watch_refused_total",
                "Watch streams refused after the handshake (no or wrong certificate, node or region mismatch)",
                "reason"), AccessRefusal.class, AccessRefusal::label);
        admin = byReason(registry.counter("gatehouse_cp_admin_refused_total",
                "Admin calls refused (no or non-admin certificate)", "reason"), AccessRefusal.class, AccessRefusal::label);
    }

    /** The serving certificate's metrics exist only when there is one. Call once, at start. */
    void serving(Optional<ReloadingCredentials> credentials) {
        this.tls = credentials;
        credentials.ifPresent(c -> {
            registry.gauge("gatehouse_cp_tls_cert_expiry_seconds",
                    "When this replica's serving certificate expires (Unix time, seconds)",
                    () -> c.notAfter().getEpochSecond());
            registry.counterFrom("gatehouse_cp_tls_reloads_total",
                    "Times new TLS certificate/key or CA files were loaded without a restart", c::reloads);
            registry.counterFrom("gatehouse_cp_tls_reload_failures_total",
                    "Checks that found changed TLS files which could not be used (the previous ones stay)",
                    c::reloadFailures);
        });
    }

    @Override
    public void callRefused(Service service, AccessRefusal reason, Caller caller, String detail) {
        (service == Service.WATCH ? watch : admin).get(reason).inc();
        SecurityEvents.callRefused(service.name().toLowerCase(java.util.Locale.ROOT), reason.label(),
                caller.describe(), detail);
    }

    @Override
    public void handshakeRefused(HandshakeRefusal refusal) {
        handshakes.get(refusal.reason()).inc();
        SecurityEvents.handshakeRefused(refusal);
    }

    long watchRefused(AccessRefusal reason) {
        return watch.get(reason).value();
    }

    long handshakesRefused(HandshakeRefusal.Reason reason) {
        return handshakes.get(reason).value();
    }

    /** One child per reason, resolved now so that every reason is exported from the start. */
    private static <E extends Enum<E>> Map<E, Counter> byReason(Family<Counter> family, Class<E> type,
                                                                Function<E, String> label) {
        Map<E, Counter> counters = new EnumMap<>(type);
        for (E reason : type.getEnumConstants()) {
            counters.put(reason, family.labels(label.apply(reason)));
        }
        return counters;
    }
}
