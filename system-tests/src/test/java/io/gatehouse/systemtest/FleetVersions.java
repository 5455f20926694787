package io.gatehouse.systemtest;

import io.gatehouse.dataplane.server.DataPlane;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Watches which config version each data plane runs, every 2 ms on a thread of its own, so a test
 * can say afterwards that a data plane never ran a version (not just that it does not run it now)
 * and when it switched. The data planes are read from a live map, so one that is restarted is
 * followed as well. Safe to query from any thread.
 */
final class FleetVersions implements AutoCloseable {

    /** A data plane started running {@code version} at {@code nanos} (System.nanoTime()). */
    record Switch(long version, long nanos) {
    }

    private final Map<String, List<Switch>> switches = new ConcurrentHashMap<>();
    private final Map<String, DataPlane> fleet;
    private final Thread thread;
    private volatile boolean running = true;

    FleetVersions(Map<String, DataPlane> fleet) {
        this.fleet = fleet;
        this.thread = Thread.ofPlatform().daemon().name("fleet-versions").start(this::loop);
    }

    private void loop() {
        while (running) {
            long now = System.nanoTime();
            fleet.forEach((id, dp) -> {
                List<Switch> log = switches.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
                long version = dp.configVersion();
                if (log.isEmpty() || log.get(log.size() - 1).version() != version) {
                    log.add(new Switch(version, now));
                }
            });
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Every version {@code nodeId} has been seen running. */
    Set<Long> seen(String nodeId) {
        return switches.getOrDefault(nodeId, List.of()).stream().map(Switch::version).collect(Collectors.toSet());
    }

    /** {@code nodeId}'s switches, oldest first. */
    List<Switch> switches(String nodeId) {
        return List.copyOf(switches.getOrDefault(nodeId, List.of()));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
