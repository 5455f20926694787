package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;
import io.gatehouse.chaos.load.OpenLoopLoad;

import java.time.Duration;
import java.util.List;

/** What a scenario works with: the running fleet, the mode's durations and rates, and load streams. */
public record ScenarioContext(Fleet fleet, Mode mode) {

    /** A client gives up on a request after this (longer than any gateway timeout configured: 1 s). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Rate of the stream aimed at a faulty upstream. */
    public static final int FLAKY_RATE = 50;

    /** The main stream: GET /api/... through both data planes at the mode's rate. */
    public OpenLoopLoad apiLoad() {
        return load("api", "/api/items", mode.rate(), fleet.dataPlanes());
    }

    /** An open-loop stream on {@code path} through the given data planes. */
    public OpenLoopLoad load(String name, String path, int rate, List<DataPlaneNode> through) {
        return new OpenLoopLoad(name, through.stream().map(dp -> dp.url(path)).toList(), rate, REQUEST_TIMEOUT);
    }

    public void sleep(Duration duration) {
        Await.sleep(duration);
    }
}
