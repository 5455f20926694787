package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.Database;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tells this replica when the active config version, the API key set or the newest rollout's state
 * (who gets which version) changes, whichever replica made the change.
 *
 * <p>Holds one dedicated connection (not from the pool: it stays checked out forever) that
 * {@code LISTEN}s on {@link ConfigStore#CHANNEL}; apply and rollback {@code NOTIFY} in their
 * transaction, so a notification arrives within milliseconds of the commit. As a safety net
 * against lost notifications (e.g. while reconnecting) it also re-reads the active version every
 * {@code pollInterval}. On connection failure it reconnects with capped backoff.
 *
 * <p>Threading: one daemon thread owns the connection and calls {@code onChange} with each new
 * active version, in order, never concurrently.
 */
public final class ActiveVersionListener implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ActiveVersionListener.class.getName());
    /** How long one wait for notifications blocks; bounds how long {@link #close} takes. */
    private static final int WAIT_MILLIS = 200;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final Database database;
    private final String applicationName;
    private final Duration pollInterval;
    private final LongConsumer onChange;
    private volatile boolean running = true;
    private volatile Thread thread;
    /** Owned by the listener thread. */
    private long lastVersion = -1;
    /** Owned by the listener thread: the API key revision last pushed (see KeyStore). */
    private long lastKeysRevision = -1;
    /** Owned by the listener thread: the newest rollout's id and revision last pushed. */
    private long lastRollout = -1;
    private long lastRolloutRevision = -1;

    public ActiveVersionListener(Database database, String applicationName, Duration pollInterval,
                                 LongConsumer onChange) {
        this.database = database;
        this.applicationName = applicationName;
        this.pollInterval = pollInterval;
        this.onChange = onChange;
    }

    /** Starts listening; returns once LISTEN is in place, so no later commit can be missed. */
    public void start() throws SQLException {
        Connection first = connect();
        thread = Thread.ofPlatform().daemon().name("gatehouse-config-listener").start(() -> run(first));
    }

    private Connection connect() throws SQLException {
        Connection connection = database.openDedicatedConnection(applicationName);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + ConfigStore.CHANNEL);
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    private void run(Connection initial) {
        Connection connection = initial;
        Duration backoff = Duration.ofMillis(100);
        while (running) {
            try {
                if (connection == null) {
                    connection = connect();
                    LOG.info("config listener reconnected to the database");
                    backoff = Duration.ofMillis(100);
                }
                listen(connection);
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                LOG.log(Level.WARNING, "config listener lost its database connection; retrying in "
                        + backoff.toMillis() + " ms: " + e.getMessage());
                closeQuietly(connection);
                connection = null;
                if (!pause(backoff)) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
        closeQuietly(connection);
    }

    /** Checks the active version now, then on every notification and every poll interval. */
    private void listen(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        checkActiveVersion(connection);
        long nextPoll = System.nanoTime() + pollInterval.toNanos();
        while (running) {
            PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
            boolean due = System.nanoTime() - nextPoll >= 0;
            if ((notifications != null && notifications.length > 0) || due) {
                // The payload is a version ("keys:<revision>" for API key changes, "rollout:<id>:<revision>"
                // for rollout changes), but reading
                // the pointers is authoritative and also collapses a burst of notifications into
                // one push of the newest state.
                checkActiveVersion(connection);
                nextPoll = System.nanoTime() + pollInterval.toNanos();
            }
        }
    }

    private void checkActiveVersion(Connection connection) throws SQLException {
        long version;
        long keysRevision;
        long rollout;
        long rolloutRevision;
        // A key create/revoke re-pushes the active version (with the new key set); a rollout's
        // change re-targets every stream (candidate, shadow, or back to the active version).
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.version, r.revision, coalesce(o.id, 0), coalesce(o.revision, 0)
                FROM active_config a CROSS JOIN api_key_revision r
                LEFT JOIN (SELECT id, revision FROM rollouts ORDER BY id DESC LIMIT 1) o ON TRUE""");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return;
            }
            version = rs.getLong(1);
            if (rs.wasNull()) {
                return;
            }
            keysRevision = rs.getLong(2);
            rollout = rs.getLong(3);
            rolloutRevision = rs.getLong(4);
            if (version == lastVersion && keysRevision == lastKeysRevision && rollout == lastRollout
                    && rolloutRevision == lastRolloutRevision) {
                return;
            }
        }
        try {
            onChange.accept(version);
            lastVersion = version;
            lastKeysRevision = keysRevision;
            lastRollout = rollout;
            lastRolloutRevision = rolloutRevision;
        } catch (RuntimeException e) {
            // lastVersion stays, so the next poll tries again.
            LOG.log(Level.WARNING, "pushing config version " + version + " failed; will retry", e);
        }
    }

    private boolean pause(Duration duration) {
        try {
            Thread.sleep(duration);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "closing the listener connection failed", e);
        }
    }

    /** Stops listening and closes the connection. Idempotent. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                t.interrupt();
            }
        }
    }
}
