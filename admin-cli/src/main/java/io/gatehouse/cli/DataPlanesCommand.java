package io.gatehouse.cli;

import com.google.protobuf.Timestamp;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import io.gatehouse.proto.admin.v1.ListRolloutsRequest;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.WaveStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code gatehouse dataplanes}: every known data plane, what it runs, what the control plane sends
 * it (its target: the active version, or a rollout's candidate) and why, and how far behind it is.
 * With {@code --check} it also judges the fleet: exit {@link ExitCodes#DRIFT} (4) when any data
 * plane has run something other than its target, or been disconnected, for longer than
 * {@code --max-drift}, printing why for each. A fleet that a rollout mixes on purpose is not drift.
 */
@Command(name = "dataplanes",
        description = "List the data planes known to the control plane: connection, ACKed version, the version"
                + " the control plane sends it (TARGET) and why (ROLLOUT), how many versions behind the active one,"
                + " last contact, when its certificate expires (a warning when under 14 days) and last NACK error.",
        subcommands = DataPlanesPruneCommand.class)
final class DataPlanesCommand extends ControlPlaneCommand {

    /** A data plane certificate expiring sooner than this is warned about. */
    static final Duration CERT_WARNING = Duration.ofDays(14);

    @Option(names = "--check", description = "Exit 4 when any data plane has run something other than its target"
            + " version (the active one, or a rollout's candidate), or been disconnected, for longer than --max-drift"
            + " (and say which and why).")
    boolean check;

    @Option(names = "--wide", description = "Also show each data plane's labels and the control plane replica"
            + " holding its stream.")
    boolean wide;

    @Option(names = "--max-drift", defaultValue = "60s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "Drift tolerated by --check (e.g. 30s, 5m; default ${DEFAULT-VALUE}).")
    Duration maxDrift;

    private List<Rollout> recentRollouts;

    @Override
    protected int run(Output output) {
        ListDataPlanesResponse response = client().admin().listDataPlanes(ListDataPlanesRequest.getDefaultInstance());
        if (output.isStructured()) {
            output.structured(response);
        } else if (response.getDataPlanesCount() == 0) {
            output.line("no data planes have connected (active version "
                    + (response.getActiveVersion() == 0 ? "none" : response.getActiveVersion()) + ")");
        } else {
            output.table(table(response, output));
            if (response.hasRollout()) {
                output.line(RolloutReport.summary(response.getRollout()) + "; see: gatehouse rollout status");
            }
        }
        for (String warning : expiringCertificates(response, output.now())) {
            output.error(warning);
        }
        if (!check) {
            return ExitCodes.OK;
        }
        List<String> drifting = drift(response, output.now());
        for (String reason : drifting) {
            output.error(reason);
        }
        if (!drifting.isEmpty()) {
            return ExitCodes.DRIFT;
        }
        if (!output.isStructured()) {
            long planned = response.getDataPlanesList().stream()
                    .filter(dp -> target(dp, response) != response.getActiveVersion()).count();
            output.line("check passed: " + response.getDataPlanesCount() + " data plane(s), none drifting longer than "
                    + maxDrift.toSeconds() + "s (active version " + response.getActiveVersion() + ")"
                    + (planned == 0 ? "" : "; " + planned + " targeted by a rollout, as planned"));
        }
        return ExitCodes.OK;
    }

    private Table table(ListDataPlanesResponse response, Output output) {
        List<String> headers = new ArrayList<>(List.of("ID", "REGION"));
        if (wide) {
            headers.add("LABELS");
        }
        headers.addAll(List.of("CONNECTED", "VERSION", "TARGET", "BEHIND", "ROLLOUT", "LAST SEEN", "CERT EXPIRES"));
        if (wide) {
            headers.add("CONTROL PLANE");
        }
        headers.add("LAST NACK ERROR");
        Table table = new Table(headers.toArray(String[]::new));
        for (DataPlaneStatus dp : response.getDataPlanesList()) {
            List<Object> cells = new ArrayList<>();
            cells.add(dp.getId());
            cells.add(dp.getRegion().isEmpty() ? null : dp.getRegion());
            if (wide) {
                cells.add(dp.getLabelsMap().isEmpty() ? null : new TreeMap<>(dp.getLabelsMap()).entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
            }
            cells.add(dp.getConnected() ? "yes" : "no");
            cells.add(dp.getAckedVersion() == 0 ? null : dp.getAckedVersion());
            cells.add(dp.getTargetVersion() == 0 ? null : dp.getTargetVersion());
            cells.add(dp.getBehindBy());
            cells.add(dp.getRolloutRole().isEmpty() ? null : dp.getRolloutRole());
            cells.add(output.ago(dp.getLastSeen()));
            cells.add(dp.hasCertNotAfter() ? Pki.until(instant(dp.getCertNotAfter()), output.now()) : "no cert");
            if (wide) {
                cells.add(dp.getControlPlaneId().isEmpty() ? null : dp.getControlPlaneId());
            }
            cells.add(dp.getLastNackError().isEmpty() ? null
                    : "v" + dp.getLastNackVersion() + ": " + dp.getLastNackError());
            table.row(cells.toArray());
        }
        return table;
    }

    /**
     * A warning per data plane whose certificate expires within {@link #CERT_WARNING} (or has expired:
     * it will be refused at its next connection).
     */
    static List<String> expiringCertificates(ListDataPlanesResponse response, Instant now) {
        List<String> warnings = new ArrayList<>();
        for (DataPlaneStatus dp : response.getDataPlanesList()) {
            if (!dp.hasCertNotAfter()) {
                continue;
            }
            Instant notAfter = instant(dp.getCertNotAfter());
            if (Duration.between(now, notAfter).compareTo(CERT_WARNING) < 0) {
                warnings.add("warning: the certificate of data plane " + dp.getId() + " (" + dp.getIdentity()
                        + ") expires " + notAfter + " (" + Pki.until(notAfter, now) + "): issue a new one with"
                        + " `gatehouse certs issue data-plane` over its files; it is reloaded without a restart");
            }
        }
        return warnings;
    }

    /** Why each drifting data plane fails the check; empty when the fleet is fine. */
    private List<String> drift(ListDataPlanesResponse response, Instant now) {
        List<String> reasons = new ArrayList<>();
        for (DataPlaneStatus dp : response.getDataPlanesList()) {
            if (!dp.getConnected()) {
                Instant since = dp.hasDisconnectedAt() ? instant(dp.getDisconnectedAt()) : instant(dp.getLastSeen());
                Duration down = Duration.between(since, now);
                if (down.compareTo(maxDrift) > 0) {
                    reasons.add("data plane " + dp.getId() + " disconnected for " + down.toSeconds() + "s (since "
                            + since + "), longer than --max-drift " + maxDrift.toSeconds() + "s");
                }
                continue;
            }
            long target = target(dp, response);
            if (dp.getAckedVersion() == target) {
                continue; // including a data plane on a rollout's candidate: planned, not drift
            }
            Optional<Instant> since = offTargetSince(dp, response);
            if (since.isEmpty()) {
                continue; // just moved to a new target: the control plane has not seen it lag yet
            }
            Duration behind = Duration.between(since.get(), now);
            if (behind.compareTo(maxDrift) > 0) {
                String what = target != response.getActiveVersion()
                        ? "not its target version " + target + " (" + LogText.escaped(dp.getRolloutRole()) + ")"
                        : dp.getBehindBy() > 0
                                ? dp.getBehindBy() + " behind active version " + response.getActiveVersion()
                                : "not the active version " + response.getActiveVersion();
                reasons.add("data plane " + dp.getId() + " runs version " + dp.getAckedVersion() + ", " + what
                        + " for " + behind.toSeconds() + "s (since " + since.get() + "), longer than --max-drift "
                        + maxDrift.toSeconds() + "s"
                        + (dp.getLastNackError().isEmpty() ? ""
                                : "; it rejected v" + dp.getLastNackVersion() + ": "
                                        + LogText.escaped(dp.getLastNackError())));
            }
        }
        return reasons;
    }

    /** The version the control plane sends {@code dp}; the active one from a control plane that does not say. */
    private static long target(DataPlaneStatus dp, ListDataPlanesResponse response) {
        return dp.getTargetVersion() != 0 ? dp.getTargetVersion() : response.getActiveVersion();
    }

    /**
     * Since when {@code dp} has not run its target: the control plane's {@code behind_since}, else,
     * for a data plane a rollout wave moved and that has not taken the candidate yet, when that wave
     * started, else, for one still on the candidate of a rollout that ended without it becoming
     * active (failed, aborted), when that rollout ended: {@code behind_since} only covers data planes
     * behind the active version. Empty when none says (the data plane has only just been given a
     * new target).
     */
    private Optional<Instant> offTargetSince(DataPlaneStatus dp, ListDataPlanesResponse response) {
        if (dp.hasBehindSince()) {
            return Optional.of(instant(dp.getBehindSince()));
        }
        if (response.hasRollout()) {
            for (WaveStatus wave : response.getRollout().getWavesList()) {
                if (wave.getNodesList().contains(dp.getId()) && wave.hasStartedAt()) {
                    return Optional.of(instant(wave.getStartedAt()));
                }
            }
        }
        if (dp.getAckedVersion() > response.getActiveVersion()) {
            return endedRollouts().stream()
                    .filter(r -> r.getToVersion() == dp.getAckedVersion() && r.hasFinishedAt())
                    .map(r -> instant(r.getFinishedAt()))
                    .findFirst();
        }
        return Optional.empty();
    }

    /** The newest rollouts, asked for once and only when a data plane runs a version newer than the active one. */
    private List<Rollout> endedRollouts() {
        if (recentRollouts == null) {
            recentRollouts = client().admin().listRollouts(ListRolloutsRequest.newBuilder().setLimit(5).build())
                    .getRolloutsList();
        }
        return recentRollouts;
    }

    private static Instant instant(Timestamp ts) {
        return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
}
