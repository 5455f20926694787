package io.gatehouse.systemtest.fleet;

import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.HttpMethod;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Fleet scale, simulated (issue 16): N data plane watch clients in this JVM against two control
 * plane replicas, each a child process ({@link ReplicaProcess}) on one test database. Printed, never
 * asserted (run by {@code bench/fleet.sh}; skipped unless {@code -Dgatehouse.bench.fleet=true}).
 *
 * <p>Per fleet size N ({@code gatehouse.fleet.sizes}, default 100,1000) and config size R routes
 * ({@code gatehouse.fleet.routes}, default 1000):
 * <ol>
 *   <li>N client certificates issued (EC P-256, one key pair each: each simulated data plane is its
 *       own SPIFFE identity {@code spiffe://gatehouse/dp/sim/fleet-<i>}), issuance timed;</li>
 *   <li>the fleet connects, half to replica A and half to B, and receives the active version;</li>
 *   <li>{@code gatehouse.fleet.pushes} measured applies through replica A (B hears of them by
 *       LISTEN/NOTIFY): apply -> every client has sent its ACK (p50/p99/max over the clients),
 *       apply -> every ACK recorded in {@code data_planes}, wire bytes per client and push, CPU
 *       seconds of each replica (/proc) and bytes each allocated (its MXBean) per push;</li>
 *   <li>one push every client NACKs (the config names route {@value SimulatedDataPlane#NACK_ROUTE});</li>
 *   <li>retained heap of each replica with its streams open (after a full GC) and RSS;</li>
 *   <li>replica B restarted (SIGTERM, start again on the same port): time until every one of its
 *       clients is registered again, client stream errors, warnings in B's log, and B's CPU per
 *       250 ms while the herd reconnects (the longest stretch with both cores busy).</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "gatehouse.bench.fleet", matches = "true")
class FleetBench {

    private static final TestPki PKI = TestPki.shared();
    /** This JVM: the whole simulated fleet (TLS, gzip inflation, framing; the config itself is skipped). */
    private static final com.sun.management.OperatingSystemMXBean FLEET_CPU =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final String REGION = "sim";
    private static final int PUSHES = Integer.getInteger("gatehouse.fleet.pushes", 5);
    /** Whether to restart replica B at the end (off for quick A/B runs of the push path). */
    private static final boolean RESTART = Boolean.parseBoolean(System.getProperty("gatehouse.fleet.restart", "true"));
    private static final int WARMUP = Integer.getInteger("gatehouse.fleet.warmup", 2);
    /** Share of the fleet on replica B, the one restarted (0.5 = an even split). */
    private static final double B_SHARE = Double.parseDouble(System.getProperty("gatehouse.fleet.bShare", "0.5"));
    private static final List<String> REPLICA_JVM = List.of(
            System.getProperty("gatehouse.fleet.replicaJvm", "-Xmx2g -XX:+UseG1GC").split(" "));

    /** Replica logs and GC logs stay here after the run (target/ of system-tests). */
    private final Path dir = Path.of("target", "fleet").toAbsolutePath();

    @Test
    void fleet() throws Exception {
        Files.createDirectories(dir);
        List<Integer> sizes = ints(System.getProperty("gatehouse.fleet.sizes", "100,1000"));
        List<Integer> routes = ints(System.getProperty("gatehouse.fleet.routes", "1000"));
        say("fleet bench: sizes " + sizes + ", routes " + routes + ", " + PUSHES + " measured pushes, B share " + B_SHARE
                + ", replica JVM " + REPLICA_JVM + ", load average " + loadAverage() + ", at " + Instant.now());
        for (int r : routes) {
            for (int n : sizes) {
                run(n, r);
            }
        }
    }

    private void run(int n, int routeCount) throws Exception {
        String tag = "N=" + n + " routes=" + routeCount;
        say(tag + ": start, load average " + loadAverage());
        try (TestDatabase db = TestDatabase.createMigrated();
             ReplicaProcess a = new ReplicaProcess("fleet-a", freePort(), db.jdbcUrl(), db.user(), PKI.controlPlane(), dir, REPLICA_JVM);
             ReplicaProcess b = new ReplicaProcess("fleet-b", freePort(), db.jdbcUrl(), db.user(), PKI.controlPlane(), dir, REPLICA_JVM)) {
            say(tag + ": replicas serving after " + a.start() + " / " + b.start() + " ms");
            ManagedChannel adminChannel = Grpc.newChannelBuilder(a.target(),
                    ReloadingCredentials.load(PKI.admin()).channelCredentials(refusal -> { })).build();
            AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(adminChannel);
            int[] content = {0};
            LongSupplier apply = () -> {
                content[0]++;
                ApplyResponse response = admin.withDeadlineAfter(120, TimeUnit.SECONDS).apply(ApplyRequest.newBuilder()
                        .setConfig(config(routeCount, content[0], false)).setAuthor("fleet-bench")
                        .setMessage("push " + content[0]).build());
                if (response.getOutcome() != ApplyOutcome.APPLIED) {
                    throw new IllegalStateException(response.toString());
                }
                return response.getVersion().getVersion();
            };
            long first = apply.getAsLong();

            // Identities: one key pair and certificate per simulated data plane.
            long issueStart = System.nanoTime();
            List<ChannelCredentials> credentials = new ArrayList<>(n);
            TrustManagerFactory trust = trust(PKI.issuer().caCertificate());
            for (int i = 0; i < n; i++) {
                CertificateIssuer.IssuedCertificate issued = PKI.issuer().issue(PKI.issuer().request(
                        SpiffeId.dataPlane(REGION, nodeId(i)), List.of(), List.of(), Duration.ofDays(1)));
                credentials.add(TlsChannelCredentials.newBuilder()
                        .keyManager(keys(issued).getKeyManagers())
                        .trustManager(trust.getTrustManagers())
                        .build());
            }
            double issueMillis = (System.nanoTime() - issueStart) / 1e6;
            say(String.format("%s: issued %d client certificates (EC P-256, own key each) in %.0f ms (%.2f ms each)",
                    tag, n, issueMillis, issueMillis / n));

            // One Netty event loop group and executor for the whole fleet, as N data planes would
            // each have their own; sharing keeps N = 5,000 within one JVM's threads.
            EventLoopGroup group = new NioEventLoopGroup(2);
            ExecutorService executor = Executors.newFixedThreadPool(4);
            ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
            List<SimulatedDataPlane> fleet = new ArrayList<>(n);
            int onB = (int) Math.round(n * B_SHARE);
            try {
                long connectStart = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ReplicaProcess replica = i < onB ? b : a;
                    SimulatedDataPlane dp = new SimulatedDataPlane(nodeId(i), REGION, "127.0.0.1", replica.port(),
                            credentials.get(i), group, executor, scheduler);
                    fleet.add(dp);
                    dp.start();
                }
                awaitReplies(fleet, first, Duration.ofMinutes(10));
                say(String.format("%s: fleet connected (%d on A, %d on B) and ACKed version %d in %.0f ms",
                        tag, n - onB, onB, first, (System.nanoTime() - connectStart) / 1e6));

                for (int i = 0; i < WARMUP; i++) {
                    long v = apply.getAsLong();
                    awaitReplies(fleet, v, Duration.ofMinutes(5));
                    awaitRecorded(db, v, n, Duration.ofMinutes(5));
                }

                List<Push> pushes = new ArrayList<>();
                for (int p = 0; p < PUSHES; p++) {
                    pushes.add(push(tag, db, a, b, fleet, apply));
                }
                summarize(tag, n, routeCount, pushes);

                // NACK: the whole fleet rejects one version; the control plane records it, keeps acked_version.
                content[0]++;
                long expectedNack = pushes.getLast().version() + 1; // the bench is the only writer
                SimulatedDataPlane.nackVersion.set(expectedNack);
                long nackStart = System.nanoTime();
                long nackVersion = admin.withDeadlineAfter(120, TimeUnit.SECONDS).apply(ApplyRequest.newBuilder()
                        .setConfig(config(routeCount, content[0], true)).setAuthor("fleet-bench").setMessage("nack")
                        .build()).getVersion().getVersion();
                if (nackVersion != expectedNack) {
                    throw new IllegalStateException("expected version " + expectedNack + ", got " + nackVersion);
                }
                awaitReplies(fleet, nackVersion, Duration.ofMinutes(5));
                double nackAll = (System.nanoTime() - nackStart) / 1e6;
                long recordedNacks = awaitCount(db, "SELECT count(*) FROM data_planes WHERE last_nack_version = ?",
                        nackVersion, n, Duration.ofMinutes(5));
                say(String.format("%s: NACK push: every client NACKed in %.0f ms; %d of %d NACKs recorded in %.0f ms",
                        tag, nackAll, recordedNacks, n, (System.nanoTime() - nackStart) / 1e6));
                long back = apply.getAsLong();
                awaitReplies(fleet, back, Duration.ofMinutes(5));
                awaitRecorded(db, back, n, Duration.ofMinutes(5));

                Map<String, Long> ra = a.statsAfterGc();
                Map<String, Long> rb = b.statsAfterGc();
                say(String.format("%s: retained heap after GC: A %.1f MiB (%d streams), B %.1f MiB (%d streams);"
                                + " RSS A %.0f MiB, B %.0f MiB; threads A %d, B %d",
                        tag, mib(ra.get("heap")), n - onB, mib(rb.get("heap")), onB, mib(a.rssBytes()), mib(b.rssBytes()),
                        ra.get("threads"), rb.get("threads")));

                if (RESTART) {
                    restart(tag, db, b, fleet.subList(0, onB));
                }
            } finally {
                fleet.forEach(SimulatedDataPlane::close);
                for (SimulatedDataPlane dp : fleet) {
                    dp.awaitClosed();
                }
                adminChannel.shutdownNow();
                executor.shutdownNow();
                scheduler.shutdownNow();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    record Push(long version, double applyMillis, double[] replyMillis, double recordedMillis, double cpuA, double cpuB,
                long allocA, long allocB, double wireBytesPerClient, double uncompressedPerClient, long gcA, long gcB,
                double cpuFleet) {
    }

    private Push push(String tag, TestDatabase db, ReplicaProcess a, ReplicaProcess b, List<SimulatedDataPlane> fleet,
                      LongSupplier apply) throws Exception {
        Map<String, Long> sa = a.stats();
        Map<String, Long> sb = b.stats();
        long cpuA = a.cpuNanos();
        long cpuB = b.cpuNanos();
        long wire = fleet.stream().mapToLong(dp -> dp.wireBytes.get()).sum();
        long plain = fleet.stream().mapToLong(dp -> dp.uncompressedBytes.get()).sum();
        long fleetCpu = FLEET_CPU.getProcessCpuTime();
        long start = System.nanoTime();
        long version = apply.getAsLong();
        double applyMillis = (System.nanoTime() - start) / 1e6;
        awaitReplies(fleet, version, Duration.ofMinutes(5));
        awaitRecorded(db, version, fleet.size(), Duration.ofMinutes(5));
        double recorded = (System.nanoTime() - start) / 1e6;
        double cpuSecondsA = (a.cpuNanos() - cpuA) / 1e9;
        double cpuSecondsB = (b.cpuNanos() - cpuB) / 1e9;
        double cpuSecondsFleet = (FLEET_CPU.getProcessCpuTime() - fleetCpu) / 1e9;
        Map<String, Long> ea = a.stats();
        Map<String, Long> eb = b.stats();
        double[] replies = fleet.stream().mapToDouble(dp -> (dp.repliedAt.get(version) - start) / 1e6).sorted().toArray();
        long wireAfter = fleet.stream().mapToLong(dp -> dp.wireBytes.get()).sum();
        long plainAfter = fleet.stream().mapToLong(dp -> dp.uncompressedBytes.get()).sum();
        Push push = new Push(version, applyMillis, replies, recorded, cpuSecondsA, cpuSecondsB,
                ea.get("alloc") - sa.get("alloc"), eb.get("alloc") - sb.get("alloc"),
                (wireAfter - wire) / (double) fleet.size(), (plainAfter - plain) / (double) fleet.size(),
                ea.get("gcCount") - sa.get("gcCount"), eb.get("gcCount") - sb.get("gcCount"), cpuSecondsFleet);
        say(String.format("%s: push v%d: apply RPC %.0f ms, ACKs sent p50 %.0f / p99 %.0f / max %.0f ms, all recorded"
                        + " %.0f ms; CPU A %.2f s, B %.2f s; allocated A %.0f MiB, B %.0f MiB (GCs %d/%d);"
                        + " %.0f wire bytes per client (%.0f uncompressed); CPU of this JVM (all clients) %.2f s;"
                        + " load average %s",
                tag, version, applyMillis, percentile(replies, 50), percentile(replies, 99), replies[replies.length - 1],
                recorded, cpuSecondsA, cpuSecondsB, mib(push.allocA()), mib(push.allocB()), push.gcA(), push.gcB(),
                push.wireBytesPerClient(), push.uncompressedPerClient(), cpuSecondsFleet, loadAverage()));
        return push;
    }

    private void summarize(String tag, int n, int routes, List<Push> pushes) {
        double[] p50 = pushes.stream().mapToDouble(p -> percentile(p.replyMillis(), 50)).toArray();
        double[] p99 = pushes.stream().mapToDouble(p -> percentile(p.replyMillis(), 99)).toArray();
        double[] max = pushes.stream().mapToDouble(p -> p.replyMillis()[p.replyMillis().length - 1]).toArray();
        double[] recorded = pushes.stream().mapToDouble(Push::recordedMillis).toArray();
        double[] cpu = pushes.stream().mapToDouble(p -> p.cpuA() + p.cpuB()).toArray();
        double[] alloc = pushes.stream().mapToDouble(p -> mib(p.allocA() + p.allocB())).toArray();
        double[] apply = pushes.stream().mapToDouble(Push::applyMillis).toArray();
        double[] fleetCpu = pushes.stream().mapToDouble(Push::cpuFleet).toArray();
        Push last = pushes.getLast();
        // One line per (N, routes), medians over the measured pushes: the row of bench/README.md.
        say(String.format("ROW | %d | %d | %.0f | %.0f / %.0f / %.0f | %.0f | %.0f (%.0f) | %.2f | %.0f | %.2f | %s |",
                n, routes, median(apply), median(p50), median(p99), median(max), median(recorded),
                last.wireBytesPerClient(), last.uncompressedPerClient(), median(cpu), median(alloc), median(fleetCpu),
                loadAverage()));
    }

    private void restart(String tag, TestDatabase db, ReplicaProcess b, List<SimulatedDataPlane> clients) throws Exception {
        long errorsBefore = clients.stream().mapToLong(dp -> dp.unexpectedEnds.get()).sum();
        long warningsBefore = b.warnings();
        long streamsBefore = clients.stream().mapToLong(dp -> dp.streamsOpened.get()).sum();
        long start = System.nanoTime();
        b.stop();
        double stopped = (System.nanoTime() - start) / 1e6;
        long upMillis = b.start();
        long serving = System.nanoTime();
        // Sample B's CPU every 250 ms while its clients come back, and 2 s after.
        List<Double> cores = new ArrayList<>();
        long lastCpu = b.cpuNanos();
        long lastAt = System.nanoTime();
        long doneAt = 0;
        long deadline = serving + TimeUnit.MINUTES.toNanos(5);
        long connected = 0;
        while (System.nanoTime() < deadline) {
            Thread.sleep(250);
            long cpu = b.cpuNanos();
            long now = System.nanoTime();
            cores.add((cpu - lastCpu) / (double) (now - lastAt));
            lastCpu = cpu;
            lastAt = now;
            if (doneAt == 0) {
                connected = count(db, "SELECT count(*) FROM data_planes WHERE control_plane_id = ?", b.replicaId());
                if (connected >= clients.size()) {
                    doneAt = now;
                }
            } else if (now - doneAt > TimeUnit.SECONDS.toNanos(2)) {
                break;
            }
        }
        double reconnect = doneAt == 0 ? -1 : (doneAt - serving) / 1e6;
        int pinned = 0;
        int longest = 0;
        for (double c : cores) {
            pinned = c >= 1.8 ? pinned + 1 : 0; // both cores of this box busy with B alone
            longest = Math.max(longest, pinned);
        }
        long errors = clients.stream().mapToLong(dp -> dp.unexpectedEnds.get()).sum() - errorsBefore;
        long attempts = clients.stream().mapToLong(dp -> dp.streamsOpened.get()).sum() - streamsBefore;
        StringBuilder profile = new StringBuilder();
        for (double c : cores) {
            profile.append(String.format("%.1f ", c));
        }
        say(String.format("%s: restart of B (%d clients): stopped in %.0f ms, serving again after %d ms; all %d of its"
                        + " clients registered %.0f ms after it served (%d connected at the end); %d stream attempts;"
                        + " %d client stream errors (non-UNAVAILABLE); %d new WARNING/SEVERE lines in B's log;"
                        + " longest stretch of B using >= 1.8 cores: %.2f s; B cores per 250 ms: %s; load average %s",
                tag, clients.size(), stopped, upMillis, clients.size(), reconnect, connected, attempts, errors,
                b.warnings() - warningsBefore, longest * 0.25, profile.toString().trim(), loadAverage()));
        say(String.format("RESTART | %d | %.0f | %d | %.0f | %d | %d | %.2f | %s |", clients.size(), stopped, upMillis,
                reconnect, errors, b.warnings() - warningsBefore, longest * 0.25, loadAverage()));
    }

    // ---------------------------------------------------------------------------------------------

    private static void awaitReplies(List<SimulatedDataPlane> fleet, long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int from = 0;
        while (from < fleet.size()) {
            if (fleet.get(from).repliedAt.containsKey(version)) {
                from++;
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + from + " of " + fleet.size() + " clients replied to version "
                        + version + " within " + timeout);
            }
            Thread.sleep(1);
        }
    }

    private static void awaitRecorded(TestDatabase db, long version, int n, Duration timeout) throws Exception {
        long got = awaitCount(db, "SELECT count(*) FROM data_planes WHERE acked_version >= ?", version, n, timeout);
        if (got < n) {
            throw new IllegalStateException("only " + got + " of " + n + " ACKs of version " + version + " recorded");
        }
    }

    private static long awaitCount(TestDatabase db, String sql, Object parameter, long n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long got = 0;
        while (System.nanoTime() < deadline) {
            got = count(db, sql, parameter);
            if (got >= n) {
                return got;
            }
            Thread.sleep(5);
        }
        return got;
    }

    private static long count(TestDatabase db, String sql, Object parameter) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setObject(1, parameter);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * {@code routes} routes to one upstream, realistic in shape (a path prefix, methods, a host), with
     * {@code content} in one route so each apply is a new version; {@code nack} adds the route every
     * simulated data plane rejects.
     */
    static GatewayConfig config(int routes, int content, boolean nack) {
        GatewayConfig.Builder config = GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("backend")
                        .addTargets(Target.newBuilder().setUrl("http://127.0.0.1:9/")))
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)));
        for (int i = 0; i < routes; i++) {
            String prefix = i == 0 ? "/svc-0/v" + content + "/" : "/svc-" + i + "/api/";
            config.addRoutes(Route.newBuilder().setId("route-" + i)
                    .setMatch(RouteMatch.newBuilder().setPathPrefix(prefix).addHosts("api-" + (i % 50) + ".example.com")
                            .addMethods(HttpMethod.GET).addMethods(HttpMethod.POST))
                    .setUpstream("backend"));
        }
        if (nack) {
            config.addRoutes(Route.newBuilder().setId(SimulatedDataPlane.NACK_ROUTE)
                    .setMatch(RouteMatch.newBuilder().setPathPrefix("/fleet-nack/")).setUpstream("backend"));
        }
        return config.build();
    }

    private static String nodeId(int i) {
        return String.format("fleet-%05d", i);
    }

    private static KeyManagerFactory keys(CertificateIssuer.IssuedCertificate issued) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("dp", issued.key(), new char[0], new java.security.cert.Certificate[]{issued.certificate(), issued.ca()});
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, new char[0]);
        return factory;
    }

    private static TrustManagerFactory trust(java.security.cert.X509Certificate ca) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", ca);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double percentile(double[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static double mib(double bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static void say(String line) {
        System.out.println("FLEET " + line);
        System.out.flush();
        try { // also as it happens: surefire writes the test's output file only at its end
            Files.writeString(Path.of("target", "fleet", "results.txt"), "FLEET " + line + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // stdout has it
        }
    }
}
