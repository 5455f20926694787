package io.gatehouse.systemtest;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.config.ConfigDocuments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What mutual TLS costs, printed, never asserted (run by {@code bench/mtls.sh}; skipped unless
 * {@code -Dgatehouse.bench=true}):
 *
 * <ol>
 *   <li>apply to all data planes serving the new version, over plaintext and over mutual TLS, in the
 *       same JVM and run, rounds interleaved (a control plane and two data planes per mode, all in
 *       this JVM on loopback); median and p90 of {@code ROUNDS} rounds each;</li>
 *   <li>a data plane's first snapshot after start (connect + handshake + push), both modes;</li>
 *   <li>a certificate rotation as the control plane does it ({@link ReloadingCredentials#reloadNow()}
 *       after new files are written): thread CPU time and bytes allocated by the reload, retained
 *       heap after many rotations; and the periodic check when nothing changed.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "gatehouse.bench", matches = "true")
class MutualTlsCostBench {

    private static final int ROUNDS = Integer.getInteger("gatehouse.bench.rounds", 30);
    private static final TestPki PKI = TestPki.shared();

    @TempDir
    Path dir;

    /** One control plane and two data planes (us, eu), plaintext or mutual TLS. */
    private final class Fleet implements AutoCloseable {
        final TestDatabase db = TestDatabase.createMigrated();
        final RunningControlPlane cp;
        final List<DataPlane> dps = new ArrayList<>();
        final List<Long> firstSnapshotMillis = new ArrayList<>();
        int content;

        Fleet(boolean tls, String name) {
            cp = tls ? RunningControlPlane.start(RunningControlPlane.settings(db, "cp-" + name)
                    .withTls(PKI.controlPlane().withReloadInterval(Duration.ofHours(1))))
                    : RunningControlPlane.startPlaintext(db);
            apply();
            for (String region : List.of("us", "eu")) {
                String id = "dp-" + region + "-" + name;
                DataPlaneSettings settings = new DataPlaneSettings(id, region, cp.target(), "127.0.0.1", 0, 0,
                        dir.resolve(id), 1000);
                if (tls) {
                    settings = settings.withControlPlaneTls(PKI.dataPlane(id, region)
                            .withReloadInterval(Duration.ofHours(1)));
                }
                long start = System.nanoTime();
                DataPlane dp = DataPlane.start(settings);
                while (dp.configVersion() == 0) {
                    LockSupport.parkNanos(100_000);
                }
                firstSnapshotMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                dps.add(dp);
            }
        }

        long apply() {
            content++;
            GatewayConfig config = parse("""
                    upstreams:
                      - name: u
                        targets: [{url: "http://127.0.0.1:9/"}]
                    routes:
                      - {id: r%d, match: {pathPrefix: /r%d}, upstream: u}
                    settings:
                      upstreamPolicy: {allowLoopback: true}
                    """.formatted(content, content));
            ApplyResponse response = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor("bench")
                    .setMessage("round " + content).build());
            if (response.getOutcome() != ApplyOutcome.APPLIED) {
                throw new IllegalStateException(response.toString());
            }
            return response.getVersion().getVersion();
        }

        /** Microseconds from calling Apply until every data plane serves the new version. */
        long applyToAll() {
            long start = System.nanoTime();
            long version = apply();
            for (DataPlane dp : dps) {
                while (dp.configVersion() < version) {
                    LockSupport.parkNanos(50_000);
                }
            }
            return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
        }

        @Override
        public void close() {
            dps.forEach(DataPlane::close);
            cp.close();
            db.close();
        }
    }

    @Test
    void applyToAllDataPlanesPlaintextVersusMutualTls() {
        try (Fleet plain = new Fleet(false, "plain"); Fleet tls = new Fleet(true, "tls")) {
            for (int i = 0; i < 5; i++) { // warm-up: JIT, connection pools, snapshot cache
                plain.applyToAll();
                tls.applyToAll();
            }
            long[] plainMicros = new long[ROUNDS];
            long[] tlsMicros = new long[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                // Interleaved, alternating which goes first, so load on the shared box hits both alike.
                if (i % 2 == 0) {
                    plainMicros[i] = plain.applyToAll();
                    tlsMicros[i] = tls.applyToAll();
                } else {
                    tlsMicros[i] = tls.applyToAll();
                    plainMicros[i] = plain.applyToAll();
                }
            }
            System.out.println(String.format("BENCH apply->all DPs (2 DPs, %d rounds): plaintext median %.1f ms p90 %.1f ms;"
                            + " mutual TLS median %.1f ms p90 %.1f ms", ROUNDS, median(plainMicros) / 1000.0,
                    p90(plainMicros) / 1000.0, median(tlsMicros) / 1000.0, p90(tlsMicros) / 1000.0));
            System.out.println(String.format("BENCH first snapshot after data plane start: plaintext %s ms; mutual TLS %s ms"
                    + " (the plaintext fleet starts first: its first data plane pays the JVM's warm-up)",
                    plain.firstSnapshotMillis, tls.firstSnapshotMillis));
            long[] plainConnect = new long[ROUNDS];
            long[] tlsConnect = new long[ROUNDS];
            for (int i = 0; i < ROUNDS + 5; i++) {
                long p = newConnectionAndCall(plain.cp.newPlaintextChannel());
                long t = newConnectionAndCall(tls.cp.newChannel(PKI.admin()));
                if (i >= 5) {
                    plainConnect[i - 5] = p;
                    tlsConnect[i - 5] = t;
                }
            }
            System.out.println(String.format("BENCH new connection + first admin call (ListVersions): plaintext median %.2f ms;"
                            + " mutual TLS (TLS 1.3, ECDSA P-256) median %.2f ms",
                    median(plainConnect) / 1000.0, median(tlsConnect) / 1000.0));
        }
    }

    @Test
    void costOfACertificateRotation() throws Exception {
        TlsFiles files = PKI.fresh(SpiffeId.controlPlane("bench")).withReloadInterval(Duration.ofHours(1));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        try (ReloadingCredentials credentials = ReloadingCredentials.open(files)) {
            int rotations = Math.max(ROUNDS, 50);
            long[] cpuNanos = new long[rotations];
            long[] allocated = new long[rotations];
            long[] idleCpu = new long[rotations];
            long heapBefore = 0;
            for (int i = 0; i < rotations; i++) {
                if (i == 10) { // after warm-up
                    heapBefore = retainedHeap();
                }
                PKI.rotate(files, SpiffeId.controlPlane("bench"), Duration.ofDays(90)); // not measured: the operator's side
                long cpu = threads.getCurrentThreadCpuTime();
                long bytes = threads.getThreadAllocatedBytes(self);
                if (!credentials.reloadNow()) {
                    throw new IllegalStateException("rotation " + i + " not picked up");
                }
                cpuNanos[i] = threads.getCurrentThreadCpuTime() - cpu;
                allocated[i] = threads.getThreadAllocatedBytes(self) - bytes;
                long idle = threads.getCurrentThreadCpuTime();
                credentials.reloadNow(); // the periodic check, nothing changed
                idleCpu[i] = threads.getCurrentThreadCpuTime() - idle;
            }
            long heapAfter = retainedHeap();
            long[] measured = Arrays.copyOfRange(cpuNanos, 10, rotations);
            long[] bytes = Arrays.copyOfRange(allocated, 10, rotations);
            long[] idle = Arrays.copyOfRange(idleCpu, 10, rotations);
            System.out.println(String.format("BENCH rotation (reload of a new EC P-256 certificate + key, %d times): CPU median %.0f us"
                            + " (first, cold: %.0f us), allocated median %.0f KiB, retained heap after %d rotations"
                            + " %+.0f KiB; periodic check without change: CPU median %.0f us",
                    rotations - 10, median(measured) / 1000.0, cpuNanos[0] / 1000.0, median(bytes) / 1024.0,
                    rotations - 10, (heapAfter - heapBefore) / 1024.0, median(idle) / 1000.0));
        }
    }

    private static GatewayConfig parse(String yaml) {
        try {
            return ConfigDocuments.fromYaml(yaml);
        } catch (io.gatehouse.config.ConfigFormatException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Microseconds to connect and answer one unary call on a new channel (then closed). */
    private static long newConnectionAndCall(io.grpc.ManagedChannel channel) {
        long start = System.nanoTime();
        io.gatehouse.proto.admin.v1.AdminServiceGrpc.newBlockingStub(channel)
                .listVersions(io.gatehouse.proto.admin.v1.ListVersionsRequest.newBuilder().setLimit(1).build());
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
        channel.shutdownNow();
        return micros;
    }

    private static long retainedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    }

    private static double p90(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.ceil(sorted.length * 0.9) - 1];
    }
}
