package io.gatehouse.controlplane.store;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Borrowing a pooled connection for one unit of work, with or without a transaction, and turning
 * {@link SQLException} into {@link StoreException} with a message saying which store failed.
 * Stateless and thread-safe.
 */
public final class Jdbc {

    /** Work on a connection; may throw SQLException. */
    @FunctionalInterface
    public interface SqlFunction<T> {
        T apply(Connection connection) throws SQLException;
    }

    private Jdbc() {
    }

    /** Runs {@code work} on a connection in auto-commit mode. */
    public static <T> T withConnection(DataSource dataSource, String store, SqlFunction<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new StoreException(store + " query failed: " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    public static <T> T inTransaction(DataSource dataSource, String store, SqlFunction<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.apply(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException(store + " transaction failed: " + e.getMessage(), e);
        }
    }
}
