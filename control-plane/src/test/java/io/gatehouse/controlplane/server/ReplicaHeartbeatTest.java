package io.gatehouse.controlplane.server;

import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.controlplane.store.Database;
import io.gatehouse.controlplane.store.ReplicaStore;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The heartbeat doubles as the replica's database probe, which drives its gRPC health status
 * (NOT_SERVING while it has no database; found by the chaos harness, issue 14).
 */
class ReplicaHeartbeatTest {

    @Test
    void reportsDatabaseDownWhileHeartbeatsFailAndUpWhenTheyWorkAgain() {
        try (TestDatabase db = TestDatabase.create();
             HikariDataSource pool = new Database(db.jdbcUrl(), db.user(), db.password()).openPool("hb-test", 2)) {
            Database.migrate(pool);
            AtomicBoolean databaseGone = new AtomicBoolean();
            AtomicReference<Boolean> up = new AtomicReference<>();
            try (ReplicaHeartbeat ignored = new ReplicaHeartbeat(new ReplicaStore(switchable(pool, databaseGone)),
                    "cp-hb", Duration.ofMillis(50), up::set)) {
                Await.until("a beat reporting the database up", () -> Boolean.TRUE.equals(up.get()));
                databaseGone.set(true);
                Await.until("a beat reporting the database down", () -> Boolean.FALSE.equals(up.get()));
                databaseGone.set(false);
                Await.until("a beat reporting the database up again", () -> Boolean.TRUE.equals(up.get()));
            }
        }
    }

    /** The pool, except that getConnection fails while {@code gone} is set (a database that went away). */
    private static DataSource switchable(DataSource pool, AtomicBoolean gone) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (gone.get() && method.getName().equals("getConnection")) {
                        throw new SQLException("Connection refused (the test's database is gone)");
                    }
                    try {
                        return method.invoke(pool, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
