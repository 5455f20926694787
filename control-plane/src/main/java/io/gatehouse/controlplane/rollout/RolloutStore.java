package io.gatehouse.controlplane.rollout;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.Jdbc;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;
import io.gatehouse.rollout.RolloutPlan;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code rollouts} table (migrations/V6). Every write that changes which data plane gets which
 * version bumps the row's revision and sends {@code NOTIFY gatehouse_config, 'rollout:<id>:<revision>'}
 * in its transaction, so every replica re-targets its streams within milliseconds of the commit.
 * A rollout's success moves {@code active_config} in the same transaction. Thread-safe.
 */
public final class RolloutStore {

    private static final String COLUMNS = """
            id, from_version, to_version, plan, expect_changes, state, current_wave, waves::text, reason, author,
            revision, driver, created_at, updated_at, finished_at""";
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final DataSource dataSource;

    public RolloutStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Inserts a rollout of {@code toVersion} in the caller's transaction (the one that staged the
     * version): state SHADOW when the plan starts with a shadow step, else IN_PROGRESS at step 0
     * (which the driver starts on its next tick). Returns its id.
     */
    public static long create(Connection connection, long fromVersion, long toVersion, RolloutPlan plan,
                              List<String> expectChanges, String author, String message) throws SQLException {
        List<WaveStatus> waves = new ArrayList<>();
        Timestamp now = timestamp(Instant.now());
        for (RolloutPlan.Step step : plan.steps()) {
            boolean shadow = step.selector() instanceof RolloutPlan.Shadow;
            boolean shadowStep = shadow && waves.isEmpty();
            WaveStatus.Builder wave = WaveStatus.newBuilder().setIndex(waves.size())
                    .setName(shadowStep ? "shadow" : "wave " + (waves.size() + (shadow ? 0 : 1)))
                    .setSelector(step.selector().text())
                    .setBake(com.google.protobuf.Duration.newBuilder().setSeconds(step.bake().getSeconds())
                            .setNanos(step.bake().getNano()))
                    .setState(shadow && waves.isEmpty() ? RolloutRow.SHADOWING : RolloutRow.PENDING);
            if (shadow && waves.isEmpty()) {
                wave.setStartedAt(now);
            }
            waves.add(wave.build());
        }
        RolloutState state = plan.shadow().isPresent() ? RolloutState.SHADOW : RolloutState.IN_PROGRESS;
        long id;
        try (PreparedStatement ps = connection.prepareStatement("""
                INSERT INTO rollouts (from_version, to_version, plan, expect_changes, state, current_wave, waves, author)
                VALUES (?, ?, ?, ?, ?, 0, ?::jsonb, ?) RETURNING id""")) {
            ps.setLong(1, fromVersion);
            ps.setLong(2, toVersion);
            ps.setString(3, plan.canonical());
            ps.setArray(4, connection.createArrayOf("text", expectChanges.toArray()));
            ps.setString(5, state.name());
            ps.setString(6, wavesJson(waves));
            ps.setString(7, author);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        AuditLog.record(connection, author, "rollout.start", "rollout " + id + " of version " + toVersion
                + " from " + fromVersion + " (" + plan.canonical() + ")", message);
        ConfigStore.notifyChange(connection, "rollout:" + id + ":1");
        return id;
    }

    /** The rollout that has not ended, if any. */
    public Optional<RolloutRow> open() {
        return first("WHERE state IN ('SHADOW', 'IN_PROGRESS', 'PAUSED')");
    }

    /** The newest rollout, ended or not. */
    public Optional<RolloutRow> newest() {
        return first("ORDER BY id DESC LIMIT 1");
    }

    public Optional<RolloutRow> get(long id) {
        return Jdbc.withConnection(dataSource, "rollout store", connection -> read(connection, id, false));
    }

    /** Newest first. */
    public List<RolloutRow> list(int limit) {
        return Jdbc.withConnection(dataSource, "rollout store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM rollouts ORDER BY id DESC LIMIT ?")) {
                ps.setInt(1, limit);
                List<RolloutRow> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(toRow(rs));
                    }
                }
                return rows;
            }
        });
    }

    /** A change of one rollout, decided on the locked current row. */
    @FunctionalInterface
    public interface Change {
        /** The transition to make, or empty to leave the row as it is. */
        Optional<Transition> decide(RolloutRow current);
    }

    /**
     * What to write.
     *
     * @param next     the rollout as it should be stored (id, versions and author are kept as stored)
     * @param retarget the set of nodes getting the candidate or the shadow changed: bump the
     *                 revision and notify every replica
     * @param audit    audit action ("rollout.pause"), or "" for none (gate bookkeeping)
     */
    public record Transition(Rollout next, boolean retarget, String audit, String principal, String reason) {
        public static Transition bookkeeping(Rollout next) {
            return new Transition(next, false, "", "", "");
        }
    }

    /**
     * Locks the row, lets {@code change} decide, writes the result. A transition to SUCCEEDED also
     * makes the candidate the active version, in the same transaction. Returns the row as stored
     * afterwards; empty when there is no such rollout.
     */
    public Optional<RolloutRow> change(long id, Change change) {
        return Jdbc.inTransaction(dataSource, "rollout store", connection -> {
            Optional<RolloutRow> current = read(connection, id, true);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            Optional<Transition> transition = change.decide(current.get());
            if (transition.isEmpty()) {
                return current;
            }
            Transition t = transition.get();
            Rollout next = t.next();
            boolean ends = current.get().open() && !RolloutRow.isOpen(next.getState());
            try (PreparedStatement ps = connection.prepareStatement("""
                    UPDATE rollouts SET state = ?, current_wave = ?, waves = ?::jsonb, reason = ?, driver = ?,
                        revision = revision + ?, updated_at = now(),
                        finished_at = CASE WHEN ? THEN now() ELSE finished_at END
                    WHERE id = ?""")) {
                ps.setString(1, next.getState().name());
                ps.setInt(2, next.getCurrentWave());
                ps.setString(3, wavesJson(next.getWavesList()));
                ps.setString(4, next.getReason());
                ps.setString(5, next.getDriver());
                ps.setInt(6, t.retarget() || ends ? 1 : 0);
                ps.setBoolean(7, ends);
                ps.setLong(8, id);
                ps.executeUpdate();
            }
            if (next.getState() == RolloutState.SUCCEEDED && ends) {
                ConfigStore.activate(connection, current.get().rollout().getToVersion());
            }
            if (!t.audit().isEmpty()) {
                AuditLog.record(connection, t.principal(), t.audit(), "rollout " + id + " of version "
                        + current.get().rollout().getToVersion(), t.reason());
            }
            RolloutRow written = read(connection, id, false).orElseThrow();
            if (t.retarget() || ends) {
                ConfigStore.notifyChange(connection, "rollout:" + id + ":" + written.revision());
            }
            return Optional.of(written);
        });
    }

    private Optional<RolloutRow> first(String clause) {
        return Jdbc.withConnection(dataSource, "rollout store", connection -> {
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM rollouts " + clause);
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(toRow(rs)) : Optional.empty();
            }
        });
    }

    private static Optional<RolloutRow> read(Connection connection, long id, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM rollouts WHERE id = ?"
                + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(toRow(rs)) : Optional.empty();
            }
        }
    }

    private static RolloutRow toRow(ResultSet rs) throws SQLException {
        Rollout.Builder rollout = Rollout.newBuilder()
                .setId(rs.getLong(1))
                .setFromVersion(rs.getLong(2))
                .setToVersion(rs.getLong(3))
                .setPlan(rs.getString(4));
        Array expect = rs.getArray(5);
        for (Object route : (Object[]) expect.getArray()) {
            rollout.addExpectChanges((String) route);
        }
        rollout.setState(RolloutState.valueOf(rs.getString(6)))
                .setCurrentWave(rs.getInt(7))
                .addAllWaves(parseWaves(rs.getString(8)))
                .setReason(rs.getString(9))
                .setAuthor(rs.getString(10))
                .setDriver(rs.getString(12))
                .setCreatedAt(timestamp(rs.getTimestamp(13).toInstant()))
                .setUpdatedAt(timestamp(rs.getTimestamp(14).toInstant()));
        if (rs.getTimestamp(15) != null) {
            rollout.setFinishedAt(timestamp(rs.getTimestamp(15).toInstant()));
        }
        return new RolloutRow(rollout.build(), rs.getLong(11));
    }

    /** The waves as {"waves": [...]} (proto JSON of a Rollout holding only them): readable in psql. */
    private static String wavesJson(List<WaveStatus> waves) {
        try {
            return JSON.print(Rollout.newBuilder().addAllWaves(waves));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<WaveStatus> parseWaves(String json) {
        Rollout.Builder holder = Rollout.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json, holder);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("rollouts.waves cannot be read: " + e.getMessage(), e);
        }
        return holder.getWavesList();
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
