package io.gatehouse.dataplane.upstream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the active health checks of all upstream targets, one virtual thread per checked target.
 * Lives across snapshots: {@link #sync} (called when a snapshot is compiled) keeps the probes of
 * targets that are still there (their state and thresholds carry on), starts new ones and stops
 * those of removed targets. Verdicts go to the target's {@link TargetHealth}. Thread-safe;
 * {@link #close()} stops everything.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HealthChecker.class.getName());

    /** What a probe checks: one target of one upstream. */
    public record Key(String upstream, UpstreamTarget target) {
        public Key {
            Objects.requireNonNull(upstream, "upstream");
            Objects.requireNonNull(target, "target");
        }
    }

    private final Map<Key, Probe> probes = new HashMap<>();
    private final Map<ClientSettings, HttpClient> clients = new ConcurrentHashMap<>();
    private final boolean enforceAddresses;
    private boolean closed;

    /** @param enforceAddresses whether probes obey {@link HealthCheckSpec#addresses()} */
    HealthChecker(boolean enforceAddresses) {
        this.enforceAddresses = enforceAddresses;
    }

    /** Makes the running probes exactly {@code wanted}: starts, updates (spec change) and stops probes. */
    public synchronized void sync(Map<Key, Probe.Target> wanted) {
        if (closed) {
            return;
        }
        probes.entrySet().removeIf(entry -> {
            if (!wanted.containsKey(entry.getKey())) {
                entry.getValue().stop();
                return true;
            }
            return false;
        });
        for (Map.Entry<Key, Probe.Target> entry : wanted.entrySet()) {
            Probe probe = probes.get(entry.getKey());
            if (probe != null && probe.health == entry.getValue().health()) {
                probe.spec = entry.getValue().spec();
            } else {
                if (probe != null) {
                    probe.stop();
                }
                Probe started = new Probe(entry.getKey(), entry.getValue(), this);
                probes.put(entry.getKey(), started);
                started.start();
            }
        }
    }

    /** Targets currently probed. */
    public synchronized int probeCount() {
        return probes.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        probes.values().forEach(Probe::stop);
        probes.clear();
        clients.values().forEach(HttpClient::close);
        clients.clear();
    }

    HttpClient client(ClientSettings settings) {
        return clients.computeIfAbsent(settings, HealthChecker::newClient);
    }

    private static HttpClient newClient(ClientSettings settings) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        if (!settings.caPem().isEmpty()) {
            builder.sslContext(sslContext(settings.caCertificates()));
        }
        // The JDK client keeps a configured SNI name only for IP-literal targets (for a host name
        // target it sends and verifies that host name).
        settings.serverName().ifPresent(name -> builder.sslParameters(settings.sslParameters()));
        return builder.build();
    }

    static SSLContext sslContext(List<X509Certificate> trusted) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                store.setCertificateEntry("ca-" + i, trusted.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust store from the CA certificates", e);
        }
    }

    /** One target's probe loop on a virtual thread. The loop thread owns the counters. */
    public static final class Probe {
        /** What to probe and where the verdict goes. */
        public record Target(HealthCheckSpec spec, TargetHealth health) {
        }

        private final Key key;
        private final TargetHealth health;
        private final HealthChecker checker;
        private volatile HealthCheckSpec spec;
        private volatile boolean stopped;
        private Thread thread;
        private int successes;
        private int failures;
        /** Why the last probe was not sent (address rules), so a refusal is logged once, not per probe. */
        private String lastRefusal;

        Probe(Key key, Target target, HealthChecker checker) {
            this.key = key;
            this.health = target.health();
            this.spec = target.spec();
            this.checker = checker;
        }

        void start() {
            thread = Thread.ofVirtual().name("health-" + key.upstream() + "-" + key.target().authority())
                    .start(this::run);
        }

        void stop() {
            stopped = true;
            health.activelyHealthy(true); // no check any more: the target is no longer judged by it
            if (thread != null) {
                thread.interrupt();
            }
        }

        private void run() {
            while (!stopped) {
                HealthCheckSpec current = spec;
                boolean ok = check(current);
                if (stopped) {
                    return;
                }
                record(ok, current);
                try {
                    Thread.sleep(current.interval()); // the probe period itself, not a synchronization
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private boolean check(HealthCheckSpec current) {
            if (checker.enforceAddresses && current.addresses() != null) {
                // The same SSRF rules as proxied requests: a forbidden target fails without a connection.
                String reason = current.addresses().check(key.target().host()).orElse(null);
                if (reason != null) {
                    if (!reason.equals(lastRefusal)) {
                        LOG.warning(() -> "upstream " + key.upstream() + ": not health checking target "
                                + key.target().authority() + ": " + reason);
                    }
                    lastRefusal = reason;
                    return false;
                }
                lastRefusal = null;
            }
            try {
                HttpRequest request = HttpRequest.newBuilder(URI.create(key.target().uriFor(current.path())))
                        .timeout(current.timeout())
                        .header("User-Agent", "gatehouse-health-check")
                        .GET()
                        .build();
                HttpResponse<Void> response = checker.client(current.client())
                        .send(request, HttpResponse.BodyHandlers.discarding());
                return response.statusCode() >= 200 && response.statusCode() < 400;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // stop() interrupted us: the loop ends at its sleep
                return false;
            } catch (Exception e) {
                LOG.log(Level.FINE, "health check of " + key + " failed", e);
                return false;
            }
        }

        private void record(boolean ok, HealthCheckSpec current) {
            if (ok) {
                failures = 0;
                successes++;
                if (!health.activelyHealthy() && successes >= current.healthyThreshold()) {
                    health.activelyHealthy(true);
                    LOG.info(() -> "upstream " + key.upstream() + ": target " + key.target().authority()
                            + " is healthy again");
                }
            } else {
                successes = 0;
                failures++;
                if (health.activelyHealthy() && failures >= current.unhealthyThreshold()) {
                    health.activelyHealthy(false);
                    LOG.warning(() -> "upstream " + key.upstream() + ": target " + key.target().authority()
                            + " failed " + failures + " health checks in a row; taken out of rotation");
                }
            }
        }
    }
}
