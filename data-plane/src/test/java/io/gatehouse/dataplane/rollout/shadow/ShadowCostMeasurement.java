package io.gatehouse.dataplane.rollout.shadow;

import com.sun.management.OperatingSystemMXBean;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/**
 * What shadow evaluation costs: process CPU per proxied request through a real data plane with no
 * shadow, and with a candidate at sample ratio 0.05 and 1.0, plus the evaluator thread's own CPU.
 * Prints {@code [measure]} lines and asserts nothing about speed. The client and the upstream run in
 * this JVM too, so the absolute numbers include them; the differences between the modes are the
 * shadow's. Not part of the suite (the name does not end in Test): run it alone on a quiet machine,
 * {@code scripts/test.sh -o -pl data-plane -am -Dtest=ShadowCostMeasurement -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ShadowCostMeasurement {

    private static final int REQUESTS = 20_000;

    @RegisterExtension final Closer closer = new Closer();
    /** Records every request it serves: cleared as the runs go, or 140,000 requests pile up. */
    private TestUpstream orders;

    @Test
    void cpuPerRequestWithoutAndWithAShadow() throws Exception {
        orders = closer.track(TestUpstream.start("orders"));
        TestUpstream next = closer.track(TestUpstream.start("orders-v2"));
        GatewayConfig active = TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("orders-v1", orders.url()))
                .addRoutes(Snapshots.route("orders", "/orders", "orders-v1"))
                .addRoutes(Snapshots.route("users", "/users", "orders-v1"))
                .build());
        GatewayConfig candidate = active.toBuilder().addUpstreams(Snapshots.upstream("orders-v2", next.url()))
                .setRoutes(0, Snapshots.route("orders", "/orders", "orders-v2")).build();
        DataPlane dataPlane = closer.track(LoopbackDataPlane.start(active));
        ShadowEvaluator shadow = dataPlane.shadow();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        run(http, dataPlane, REQUESTS); // warm-up: JIT, connections
        System.out.printf("[measure] load average before: %s%n", loadAverage());
        for (int round = 1; round <= 2; round++) {
            shadow.update(null);
            measure("off", http, dataPlane, shadow);
            for (double ratio : new double[] {0.05, 1.0}) {
                shadow.update(Shadow.newBuilder().setRolloutId(round * 10 + (ratio < 1 ? 1 : 2)).setSampleRatio(ratio)
                        .setSnapshot(Snapshots.snapshot(2, candidate)).build());
                Await.until("the candidate samples", shadow::sampling);
                measure("ratio " + ratio, http, dataPlane, shadow);
            }
        }
        shadow.update(null);
        System.out.printf("[measure] load average after: %s%n", loadAverage());
    }

    private void measure(String mode, HttpClient http, DataPlane dataPlane, ShadowEvaluator shadow)
            throws Exception {
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        long evaluatorBefore = evaluatorCpuNanos();
        long carriersBefore = threadCpuNanos("ForkJoinPool-1-worker-");
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        run(http, dataPlane, REQUESTS);
        Await.until("the evaluator caught up", shadow::idle);
        long wall = System.nanoTime() - wallBefore;
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long evaluator = evaluatorCpuNanos() - evaluatorBefore;
        long carriers = threadCpuNanos("ForkJoinPool-1-worker-") - carriersBefore;
        long sampled = shadow.report().map(load -> load.getRoutesList().stream()
                .mapToLong(route -> route.getSampled()).sum()).orElse(0L);
        System.out.printf("[measure] shadow %-10s %,d requests in %,d ms: process CPU %.1f µs/request,"
                        + " virtual-thread carriers %.1f µs/request, evaluator thread %.1f µs/request;"
                        + " evaluated %,d, dropped %,d%n",
                mode, REQUESTS, wall / 1_000_000, cpu / 1e3 / REQUESTS, carriers / 1e3 / REQUESTS,
                evaluator / 1e3 / REQUESTS, sampled, shadow.dropped());
    }

    private void run(HttpClient http, DataPlane dataPlane, int requests) throws Exception {
        for (int i = 0; i < requests; i++) {
            String path = (i % 2 == 0 ? "/orders/" : "/users/") + i;
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + dataPlane.port() + path)).build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
                throw new AssertionError(path + " answered " + response.statusCode());
            }
            if (i % 1000 == 999) {
                orders.clear();
            }
        }
    }

    /** CPU time of the evaluator thread (a platform thread), 0 before it exists. */
    private static long evaluatorCpuNanos() {
        return threadCpuNanos("gatehouse-shadow-evaluator");
    }

    /**
     * CPU time of the live platform threads whose name starts with {@code prefix}. The carriers of
     * virtual threads ("ForkJoinPool-1-worker-") run the data plane's handlers and the upstream's, not
     * the JDK client (its own pool): the closest this JVM gets to the data plane's CPU alone.
     */
    private static long threadCpuNanos(String prefix) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return Arrays.stream(threads.getThreadInfo(threads.getAllThreadIds()))
                .filter(info -> info != null && info.getThreadName().startsWith(prefix))
                .mapToLong(ThreadInfo::getThreadId).map(threads::getThreadCpuTime).filter(t -> t > 0).sum();
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
