package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;
import io.gatehouse.chaos.load.OpenLoopLoad;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * With both control plane replicas dead, dp-us-1 is killed and started again: it must serve its
 * last version from disk. Reported: time from the process start to its first 200. The load runs
 * through dp-eu-1 (which must lose nothing); then the replicas come back and dp-us-1 reconnects.
 */
public final class DataPlaneRestartWithoutControlPlanes extends FaultScenario {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();

    @Override
    public String name() {
        return "DP restarted while CPs are down";
    }

    /** Restarts JVMs: full mode only (see {@link Scenario#inShortMode()}). */
    @Override
    public boolean inShortMode() {
        return false;
    }

    @Override
    public String expectation() {
        return "serves its last version from disk; time to first 200 reported";
    }

    @Override
    protected List<OpenLoopLoad> loads(ScenarioContext context) {
        return List.of(context.load("api (eu)", "/api/items", context.mode().rate(), List.of(context.fleet().eu())));
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        fleet.killControlPlanes();
        DataPlaneNode us = fleet.us();
        us.process().kill9();
        long start = System.nanoTime();
        us.process().start();
        URI url = us.url("/api/items");
        Optional<Duration> first200 = Await.until(Duration.ofSeconds(60), () -> status(url) == 200);
        checks.add(Check.of("dp-us-1 answers 200 after a restart without control planes", first200.isPresent(),
                first200.map(d -> Duration.ofNanos(System.nanoTime() - start).toMillis()
                        + " ms from process start to first 200").orElse("no 200 within 60 s")));
        String source = us.config().path("source").asText();
        long version = us.version();
        checks.add(Check.of("serves the active version from disk", source.equals("disk")
                && version == fleet.activeVersion(), "source " + source + ", version " + version
                + " (active " + fleet.activeVersion() + ")"));
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        context.fleet().startControlPlanes();
    }

    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> context.fleet().us().controlPlaneConnected() && context.fleet().fleetViewCorrect();
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        checks.add(Check.info("dp-us-1 reconnected after the replicas were back",
                recovery.map(d -> d.toMillis() + " ms").orElse("not within 60 s")));
    }

    private int status(URI url) {
        try {
            return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
