package io.gatehouse.controlplane.admin;

import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.controlplane.store.VersionRecord;
import io.gatehouse.controlplane.validate.ValidationProblem;
import io.gatehouse.proto.admin.v1.DataPlaneStatus;
import io.gatehouse.proto.admin.v1.ValidationError;
import io.gatehouse.proto.admin.v1.VersionInfo;

import java.time.Instant;

/** Store records to admin API messages. */
final class AdminMessages {

    private AdminMessages() {
    }

    static VersionInfo versionInfo(VersionRecord record, long activeVersion) {
        return VersionInfo.newBuilder()
                .setVersion(record.version())
                .setSha256(record.sha256())
                .setAuthor(record.author())
                .setMessage(record.message())
                .setCreatedAt(timestamp(record.createdAt()))
                .setParentVersion(record.parentVersion())
                .setRolledBackFrom(record.rolledBackFrom())
                .setActive(record.version() == activeVersion)
                .build();
    }

    static ValidationError validationError(ValidationProblem problem) {
        return ValidationError.newBuilder().setPath(problem.path()).setReason(problem.reason()).build();
    }

    static DataPlaneStatus dataPlaneStatus(DataPlaneRecord dp, long activeVersion) {
        return dataPlaneStatus(dp, activeVersion, java.util.Optional.empty());
    }

    /**
     * With a rollout in progress: the node's target (the candidate for nodes of started waves) and
     * why. A node of a wave is not behind (it runs, or is being sent, what the plan wants).
     */
    static DataPlaneStatus dataPlaneStatus(DataPlaneRecord dp, long activeVersion,
                                           java.util.Optional<io.gatehouse.controlplane.rollout.RolloutRow> rollout) {
        io.gatehouse.controlplane.rollout.RolloutRow.Target target =
                io.gatehouse.controlplane.rollout.RolloutRow.Target.of(rollout, dp.id(), activeVersion);
        DataPlaneStatus.Builder status = DataPlaneStatus.newBuilder()
                .setAdminAddress(dp.adminAddress())
                .setTargetVersion(target.version())
                .setRolloutRole(target.role().orElse(""))
                .putAllLabels(dp.labels());
        if (!target.planned()) {
            dp.behindSince().ifPresent(t -> status.setBehindSince(timestamp(t)));
        }
        dp.disconnectedAt().ifPresent(t -> status.setDisconnectedAt(timestamp(t)));
        dp.certNotAfter().ifPresent(t -> status.setCertNotAfter(timestamp(t)));
        return status
                .setId(dp.id())
                .setRegion(dp.region())
                .setBuildVersion(dp.buildVersion())
                .setConnected(dp.connected())
                .setAckedVersion(dp.ackedVersion())
                .setBehindBy(Math.max(0, activeVersion - dp.ackedVersion()))
                .setLastNackError(dp.lastNackError())
                .setLastNackVersion(dp.lastNackVersion())
                .setLastSeen(timestamp(dp.lastSeen()))
                .setControlPlaneId(dp.connected() ? dp.controlPlaneId().orElse("") : "")
                .setIdentity(dp.identity())
                .build();
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
