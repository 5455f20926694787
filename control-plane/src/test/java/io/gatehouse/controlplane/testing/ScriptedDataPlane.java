package io.gatehouse.controlplane.testing;

import io.gatehouse.proto.discovery.v1.LoadReport;
import io.gatehouse.proto.discovery.v1.RouteLoad;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.proto.discovery.v1.VersionLoad;
import io.gatehouse.proto.discovery.v1.WatchResponse;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * A data plane as a rollout sees it, over a real watch stream ({@link WatchClient}): it ACKs what
 * it is sent (or NACKs the versions {@link Behaviour#nacks} names), and every {@code reportEvery}
 * sends a LoadReport with cumulative traffic per version it ran: 20 requests per report on the
 * version it runs, failing with 5xx where {@link Behaviour#fails} says so, plus the shadow
 * differences {@link Behaviour#shadow} gives while it is asked to evaluate a candidate. Records
 * every response with when it arrived. A background virtual thread does the work; close stops it.
 */
public final class ScriptedDataPlane implements AutoCloseable {

    /** What the data plane does: which versions it NACKs, which fail requests, what shadow it reports. */
    public record Behaviour(LongPredicate nacks, LongPredicate fails, Supplier<List<RouteShadow>> shadow) {
        public static final Behaviour GOOD = new Behaviour(v -> false, v -> false, List::of);

        public Behaviour failing(long version) {
            return new Behaviour(nacks, v -> v == version || fails.test(v), shadow);
        }

        public Behaviour nacking(long version) {
            return new Behaviour(v -> v == version || nacks.test(v), fails, shadow);
        }

        public Behaviour shadowing(Supplier<List<RouteShadow>> routes) {
            return new Behaviour(nacks, fails, routes);
        }
    }

    /** A response as it arrived. */
    public record Received(long version, long shadowRollout, Instant at) {
    }

    public static final int REQUESTS_PER_REPORT = 20;
    /** The route every request goes to (its id in TestConfigs.numbered(n) is "r" + n; any id works). */
    private static final String ROUTE = "r";

    private final String nodeId;
    private final WatchClient client;
    private final Behaviour behaviour;
    private final Duration reportEvery;
    private final String incarnation = UUID.randomUUID().toString();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<Long, long[]> traffic = new ConcurrentHashMap<>(); // version -> {requests, 5xx}
    private volatile long running;
    private volatile long shadowRollout;
    private volatile boolean stopped;
    private final Thread worker;

    private ScriptedDataPlane(String nodeId, WatchClient client, Behaviour behaviour, Duration reportEvery,
                              long running) {
        this.nodeId = nodeId;
        this.client = client;
        this.behaviour = behaviour;
        this.reportEvery = reportEvery;
        this.running = running;
        this.worker = Thread.ofVirtual().name("scripted-dp-" + nodeId).start(this::run);
    }

    /** Connects to {@code cp} as {@code nodeId} of {@code region}, running {@code version} (0 = none). */
    public static ScriptedDataPlane connect(RunningControlPlane cp, String nodeId, String region, long version,
                                            Behaviour behaviour) {
        return connect(cp, nodeId, region, version, behaviour, Map.of());
    }

    public static ScriptedDataPlane connect(RunningControlPlane cp, String nodeId, String region, long version,
                                            Behaviour behaviour, Map<String, String> labels) {
        WatchClient client = WatchClient.open(cp.discoveryAs(nodeId, region), nodeId, region,
                version == 0 ? "" : Long.toString(version), labels);
        return new ScriptedDataPlane(nodeId, client, behaviour, Duration.ofMillis(300), version);
    }

    private void run() {
        long nextReport = System.nanoTime();
        while (!stopped && !client.ended()) {
            long wait = Math.max(1, (nextReport - System.nanoTime()) / 1_000_000);
            WatchResponse response = poll(Duration.ofMillis(Math.min(wait, 100)));
            if (response != null) {
                handle(response);
            }
            if (System.nanoTime() - nextReport >= 0) {
                nextReport = System.nanoTime() + reportEvery.toNanos();
                serve();
                client.report(report());
            }
        }
    }

    private WatchResponse poll(Duration timeout) {
        if (client.pending() == 0) {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException e) {
                stopped = true;
                return null;
            }
            return null;
        }
        return client.next(Duration.ofMillis(1));
    }

    private void handle(WatchResponse response) {
        long version = response.getSnapshot().getVersion();
        received.add(new Received(version, response.hasShadow() ? response.getShadow().getRolloutId() : 0, Instant.now()));
        shadowRollout = response.hasShadow() ? response.getShadow().getRolloutId() : 0;
        if (behaviour.nacks().test(version)) {
            client.nack(response, Long.toString(running), "scripted NACK of version " + version);
        } else {
            running = version;
            client.ack(response);
        }
    }

    /** One report interval's traffic on the version it runs. */
    private void serve() {
        if (running == 0) {
            return;
        }
        long[] counters = traffic.computeIfAbsent(running, v -> new long[2]);
        counters[0] += REQUESTS_PER_REPORT;
        if (behaviour.fails().test(running)) {
            counters[1] += REQUESTS_PER_REPORT;
        }
    }

    private LoadReport report() {
        LoadReport.Builder report = LoadReport.newBuilder().setIncarnation(incarnation);
        traffic.forEach((version, counters) -> {
            RouteLoad.Builder route = RouteLoad.newBuilder().setRouteId(ROUTE + version).setRequests(counters[0])
                    .setStatus5Xx(counters[1]).setGatewayErrors(counters[1]);
            for (int i = 0; i < 15; i++) {
                route.addLatencyBuckets(i == 3 ? counters[0] : 0); // everything within 10 ms
            }
            report.addVersions(VersionLoad.newBuilder().setVersion(version).addRoutes(route));
        });
        long shadow = shadowRollout;
        if (shadow != 0) {
            report.setShadow(ShadowLoad.newBuilder().setRolloutId(shadow).addAllRoutes(behaviour.shadow().get()));
        }
        return report.build();
    }

    public String nodeId() {
        return nodeId;
    }

    /** The version it runs (ACKed last). */
    public long running() {
        return running;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The config versions it was sent, in order. */
    public List<Long> versionsReceived() {
        return received.stream().map(Received::version).toList();
    }

    /** When it was first sent {@code version} after {@code since}; null if not. */
    public Instant receivedAt(long version, Instant since) {
        return received.stream().filter(r -> r.version() == version && !r.at().isBefore(since))
                .map(Received::at).findFirst().orElse(null);
    }

    public boolean streamEnded() {
        return client.ended();
    }

    /** Versions seen at all. */
    public Set<Long> versionsSeen() {
        return Set.copyOf(versionsReceived());
    }

    @Override
    public void close() {
        stopped = true;
        try {
            worker.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
