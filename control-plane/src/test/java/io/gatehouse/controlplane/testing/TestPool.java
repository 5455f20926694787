package io.gatehouse.controlplane.testing;

import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.controlplane.store.Database;
import io.gatehouse.testing.Fixture;

import javax.sql.DataSource;

/**
 * The control plane's connection pool on a {@link TestDatabase}, for tests of the stores without a
 * running control plane; closed before its database is dropped:
 *
 * <pre>{@code
 * @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
 * @RegisterExtension static final TestPool pool = TestPool.on(db, 4);
 * }</pre>
 */
public final class TestPool extends Fixture {

    private final TestDatabase db;
    private final int size;
    private volatile HikariDataSource dataSource;

    private TestPool(TestDatabase db, int size) {
        this.db = requires(db);
        this.size = size;
    }

    public static TestPool on(TestDatabase db, int size) {
        return new TestPool(db, size);
    }

    public DataSource dataSource() {
        requireRunning();
        return dataSource;
    }

    @Override
    protected void open() {
        dataSource = new Database(db.jdbcUrl(), db.user(), db.password()).openPool("test-pool", size);
    }

    @Override
    protected void release() {
        dataSource.close();
    }

    @Override
    public String toString() {
        return "TestPool[" + db + "]";
    }
}
