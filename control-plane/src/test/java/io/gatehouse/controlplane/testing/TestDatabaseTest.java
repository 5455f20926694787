package io.gatehouse.controlplane.testing;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestDatabaseTest {

    @Test
    void createsAnEmptyDatabaseWithAUniqueNameAndDropsItOnClose() throws SQLException {
        TestDatabase first = TestDatabase.create();
        TestDatabase second = TestDatabase.create();
        try {
            String firstName = first.name();
            assertThat(firstName).startsWith("gh_test_").isNotEqualTo(second.name());
            assertThat(first.jdbcUrl()).endsWith("/" + firstName);
            assertThat(queryString(first, "SELECT current_database()")).isEqualTo(firstName);
            assertThat(tableCount(first)).isZero();
            first.close();
            assertThat(databaseCount(second, firstName)).isZero();
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void aMigratedDatabaseIsACopyOfTheTemplateWithEveryMigrationApplied() throws SQLException {
        try (TestDatabase first = TestDatabase.createMigrated(); TestDatabase second = TestDatabase.createMigrated()) {
            assertThat(queryString(first, "SELECT count(*) FROM flyway_schema_history WHERE success"))
                    .isEqualTo(Integer.toString(MigratedTemplate.scripts().size()));
            // copies, not one shared database: what one test writes, the next does not see
            try (Connection c = first.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE only_in_first (x int)");
            }
            assertThat(tableCount(first)).isEqualTo(tableCount(second) + 1);
        }
    }

    @Test
    void theTemplateNameChangesWithAnyMigrationScript() {
        SortedMap<String, byte[]> scripts = new TreeMap<>(MigratedTemplate.scripts());
        String current = MigratedTemplate.checksum(scripts);

        SortedMap<String, byte[]> edited = new TreeMap<>(scripts);
        edited.put(edited.lastKey(), "-- edited\n".getBytes(StandardCharsets.UTF_8));
        SortedMap<String, byte[]> added = new TreeMap<>(scripts);
        added.put("V999__new.sql", new byte[0]);

        assertThat(MigratedTemplate.checksum(new TreeMap<>(scripts))).isEqualTo(current);
        assertThat(MigratedTemplate.checksum(edited)).isNotEqualTo(current);
        assertThat(MigratedTemplate.checksum(added)).isNotEqualTo(current).isNotEqualTo(MigratedTemplate.checksum(edited));
    }

    @Test
    void aDeclaredDatabaseCannotBeUsedBeforeItStarts() {
        TestDatabase db = TestDatabase.migrated();

        assertThatThrownBy(db::jdbcUrl).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("@RegisterExtension");
    }

    @Test
    void replacesTheDatabaseInAJdbcUrlKeepingParameters() {
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://localhost:5432/postgres", "x"))
                .isEqualTo("jdbc:postgresql://localhost:5432/x");
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://db:6543/postgres?ssl=false&a=b", "x"))
                .isEqualTo("jdbc:postgresql://db:6543/x?ssl=false&a=b");
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://db", "x")).isEqualTo("jdbc:postgresql://db/x");
    }

    private static String queryString(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long tableCount(TestDatabase db) throws SQLException {
        return Long.parseLong(queryString(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    private static long databaseCount(TestDatabase on, String name) throws SQLException {
        try (Connection c = on.connect();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
