package io.gatehouse.cli;

import com.google.protobuf.Timestamp;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ListDataPlanesRequest;
import io.gatehouse.proto.admin.v1.ListDataPlanesResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse dataplanes}: every known data plane, what it runs and how far behind it is.
 * With {@code --check} it also judges the fleet: exit {@link ExitCodes#DRIFT} (4) when any data
 * plane has been behind the active version, or disconnected, for longer than {@code --max-drift},
 * printing why for each.
 */
@Command(name = "dataplanes",
        description = "List the data planes known to the control plane: connection, ACKed version,"
                + " how many versions behind the active one, last contact, when its certificate expires"
                + " (a warning when under 14 days) and last NACK error.",
        subcommands = DataPlanesPruneCommand.class)
final class DataPlanesCommand extends ControlPlaneCommand {

    /** A data plane certificate expiring sooner than this is warned about. */
    static final Duration CERT_WARNING = Duration.ofDays(14);

    @Option(names = "--check", description = "Exit 4 when any data plane has been behind the active version,"
            + " or disconnected, for longer than --max-drift (and say which and why).")
    boolean check;

    @Option(names = "--max-drift", defaultValue = "60s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "Drift tolerated by --check (e.g. 30s, 5m; default ${DEFAULT-VALUE}).")
    Duration maxDrift;

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
            output.line("check passed: " + response.getDataPlanesCount() + " data plane(s), none drifting longer than "
                    + maxDrift.toSeconds() + "s (active version " + response.getActiveVersion() + ")");
        }
        return ExitCodes.OK;
    }

    private static Table table(ListDataPlanesResponse response, Output output) {
        Table table = new Table("ID", "REGION", "CONNECTED", "VERSION", "BEHIND", "LAST SEEN", "CERT EXPIRES",
                "LAST NACK ERROR");
        for (DataPlaneStatus dp : response.getDataPlanesList()) {
            table.row(dp.getId(),
                    dp.getRegion().isEmpty() ? null : dp.getRegion(),
                    dp.getConnected() ? "yes" : "no",
                    dp.getAckedVersion() == 0 ? null : dp.getAckedVersion(),
                    dp.getBehindBy(),
                    output.ago(dp.getLastSeen()),
                    dp.hasCertNotAfter() ? Pki.until(instant(dp.getCertNotAfter()), output.now()) : "no cert",
                    dp.getLastNackError().isEmpty() ? null
                            : "v" + dp.getLastNackVersion() + ": " + dp.getLastNackError());
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
            if (dp.getBehindBy() > 0 && dp.hasBehindSince()) {
                Instant since = instant(dp.getBehindSince());
                Duration behind = Duration.between(since, now);
                if (behind.compareTo(maxDrift) > 0) {
                    reasons.add("data plane " + dp.getId() + " runs version " + dp.getAckedVersion() + ", "
                            + dp.getBehindBy() + " behind active version " + response.getActiveVersion() + " for "
                            + behind.toSeconds() + "s (since " + since + "), longer than --max-drift "
                            + maxDrift.toSeconds() + "s"
                            + (dp.getLastNackError().isEmpty() ? ""
                                    : "; it rejected v" + dp.getLastNackVersion() + ": "
                                            + LogText.escaped(dp.getLastNackError())));
                }
            }
        }
        return reasons;
    }

    private static Instant instant(Timestamp ts) {
        return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
    }
}
