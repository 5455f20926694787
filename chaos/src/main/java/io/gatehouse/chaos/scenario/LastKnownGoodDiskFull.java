package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fault.SmallDisk;
import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.fleet.Cli;
import io.gatehouse.chaos.fleet.DataPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * dp-eu-1's last-known-good directory (a 256 KiB tmpfs) filled to the last byte, then a config
 * applied: the data plane must put it in force and ACK it although it cannot save it, and say so in
 * a metric and a log line; once space is back, the next snapshot is saved.
 */
public final class LastKnownGoodDiskFull extends FaultScenario {

    static final String FAILURE_METRIC = "gatehouse_last_known_good_write_failures_total";
    private int variant = 200;
    private long savedVersion;

    @Override
    public String name() {
        return "last-known-good disk full";
    }

    @Override
    public String expectation() {
        return "DP keeps serving and ACKs; the failed write is a metric and a log line; the next write succeeds when space returns";
    }

    @Override
    protected Optional<String> unavailable(ScenarioContext context) {
        return context.fleet().euDisk().isEmpty() ? Optional.of("no tmpfs could be mounted (needs root)") : Optional.empty();
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        DataPlaneNode eu = fleet.eu();
        SmallDisk disk = fleet.euDisk().orElseThrow();
        double failuresBefore = eu.metric(FAILURE_METRIC);
        long logBefore = Files.size(eu.process().log());
        disk.fill();
        Cli.Result apply = fleet.apply(fleet.configs().variant(++variant), "chaos: apply onto a full disk");
        checks.add(Check.of("apply accepted", apply.exitCode() == 0, "exit " + apply.exitCode()));
        long version = fleet.activeVersion();
        Optional<Duration> serving = Await.until(Duration.ofSeconds(20), () -> eu.version() == version);
        checks.add(Check.of("dp-eu-1 serves the new version", serving.isPresent(),
                serving.map(d -> "version " + version + " after " + d.toMillis() + " ms").orElse("still " + eu.version())));
        Optional<Duration> acked = Await.until(Duration.ofSeconds(20), fleet::fleetViewCorrect);
        checks.add(Check.of("dp-eu-1 ACKed it (fleet view)", acked.isPresent(), acked.isPresent() ? "yes" : "no"));
        String log = readFrom(eu.process().log(), logBefore);
        checks.add(Check.of("a log line says it could not be saved", log.contains("could not be saved"),
                log.lines().filter(l -> l.contains("could not be saved")).findFirst().map(String::strip).orElse("none")));
        double failures = eu.metric(FAILURE_METRIC) - failuresBefore;
        checks.add(Check.of("metric " + FAILURE_METRIC + " counts it", failures > 0, String.format("+%.0f", failures)));
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        fleet.euDisk().orElseThrow().free();
        Cli.Result apply = fleet.apply(fleet.configs().variant(++variant), "chaos: apply after space is back");
        savedVersion = fleet.activeVersion();
        checks.add(Check.of("apply after space is back", apply.exitCode() == 0, "exit " + apply.exitCode()));
    }

    /** Recovered: the file on disk holds the version applied after space came back. */
    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        Path file = context.fleet().eu().stateDir().resolve("last-known-good.pb");
        return () -> {
            try {
                return Snapshot.parseFrom(Files.readAllBytes(file)).getVersion() == savedVersion;
            } catch (java.io.IOException e) {
                return false;
            }
        };
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        checks.add(Check.of("next write succeeds once space returns", recovery.isPresent(),
                recovery.map(d -> "version " + savedVersion + " on disk after " + d.toMillis() + " ms").orElse("not saved")));
    }

    private static String readFrom(Path file, long offset) throws java.io.IOException {
        byte[] all = Files.readAllBytes(file);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                java.nio.charset.StandardCharsets.UTF_8);
    }
}
