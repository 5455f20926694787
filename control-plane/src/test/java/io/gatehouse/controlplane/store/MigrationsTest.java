package io.gatehouse.controlplane.store;

import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.controlplane.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MigrationsTest {

    /** Number of scripts in migrations/ (V1 config versions and data planes, V2 API keys, V3 data plane drift,
     * V4 data plane identity, V5 admin tokens, audit log and secrets, V6 rollouts). */
    private static final int MIGRATIONS = 6;

    @RegisterExtension final TestDatabase db = TestDatabase.empty();

    private HikariDataSource pool() {
        return new Database(db.jdbcUrl(), db.user(), db.password()).openPool("migrations-test", 2);
    }

    private List<String> tables() throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables "
                     + "WHERE table_schema = 'public' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void migratesAnEmptyDatabaseAndIsANoOpTheSecondTime() throws SQLException {
        assertThat(tables()).isEmpty();
        try (HikariDataSource pool = pool()) {
            assertThat(Database.migrate(pool)).isEqualTo(MIGRATIONS);
            assertThat(Database.migrate(pool)).isZero();
        }
        assertThat(tables()).contains("config_versions", "active_config", "data_planes",
                "control_plane_replicas", "flyway_schema_history", "api_keys", "api_key_revision");
        try (Connection c = db.connect()) {
            assertThat(count(c, "SELECT count(*) FROM active_config WHERE version IS NULL")).isEqualTo(1);
        }
    }

    @Test
    void secondControlPlaneStartOnAMigratedDatabaseKeepsSchemaAndData() throws SQLException {
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            cp.admin().apply(io.gatehouse.proto.admin.v1.ApplyRequest.newBuilder()
                    .setConfig(TestConfigs.numbered(1)).build());
        }
        try (RunningControlPlane cp = RunningControlPlane.start(db)) {
            assertThat(cp.admin().listVersions(io.gatehouse.proto.admin.v1.ListVersionsRequest.getDefaultInstance())
                    .getActiveVersion()).isEqualTo(1);
        }
        try (Connection c = db.connect()) {
            assertThat(count(c, "SELECT count(*) FROM flyway_schema_history WHERE success")).isEqualTo(MIGRATIONS);
        }
    }

    @Test
    void storedVersionsCannotBeUpdatedOrDeleted() throws SQLException {
        try (HikariDataSource pool = pool()) {
            Database.migrate(pool);
            new ConfigStore(pool).apply(TestConfigs.numbered(1), "alice", "first");
        }
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("UPDATE config_versions SET author = 'mallory'"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            assertThatThrownBy(() -> st.executeUpdate("DELETE FROM config_versions"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            assertThatThrownBy(() -> st.executeUpdate("TRUNCATE config_versions CASCADE"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("append-only");
            assertThat(count(c, "SELECT count(*) FROM config_versions WHERE author = 'alice'")).isEqualTo(1);
        }
    }

    @Test
    void activePointerTableHoldsExactlyOneRow() throws SQLException {
        try (HikariDataSource pool = pool()) {
            Database.migrate(pool);
        }
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("INSERT INTO active_config (singleton) VALUES (FALSE)"))
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> st.executeUpdate("INSERT INTO active_config (singleton) VALUES (TRUE)"))
                    .isInstanceOf(SQLException.class);
            assertThat(count(c, "SELECT count(*) FROM active_config")).isEqualTo(1);
        }
    }
}
