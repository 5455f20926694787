package io.gatehouse.controlplane.testing;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class TestDatabaseTest {

    @Test
    void createsAnEmptyDatabaseWithAUniqueNameAndDropsItOnClose() throws SQLException {
        TestDatabase first = TestDatabase.create();
        TestDatabase second = TestDatabase.create();
        try {
            assertThat(first.name()).startsWith("gh_test_").isNotEqualTo(second.name());
            assertThat(first.jdbcUrl()).endsWith("/" + first.name());
            try (Connection c = first.connect();
                 PreparedStatement ps = c.prepareStatement("SELECT current_database()");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(first.name());
            }
            first.close();
            try (Connection c = second.connect();
                 PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
                ps.setString(1, first.name());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).isZero();
                }
            }
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void replacesTheDatabaseInAJdbcUrlKeepingParameters() {
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://localhost:5432/postgres", "x"))
                .isEqualTo("jdbc:postgresql://localhost:5432/x");
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://db:6543/postgres?ssl=false&a=b", "x"))
                .isEqualTo("jdbc:postgresql://db:6543/x?ssl=false&a=b");
        assertThat(TestDatabase.withDatabase("jdbc:postgresql://db", "x")).isEqualTo("jdbc:postgresql://db/x");
    }
}
