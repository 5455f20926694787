package io.gatehouse.controlplane.store;

import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.controlplane.testing.TestPool;
import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigStoreTest {

    @RegisterExtension final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension final TestPool pool = TestPool.on(db, 8);
    private ConfigStore store;

    @BeforeEach
    void setUp() {
        store = new ConfigStore(pool.dataSource());
    }

    @Test
    void applyCreatesVersionOneThenTwoWithParentLinks() throws Exception {
        assertThat(store.activeVersion()).isEmpty();

        ApplyResult first = store.apply(numbered(1), "alice", "first");
        ApplyResult second = store.apply(numbered(2), "bob", "second");

        assertThat(first.outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(first.active().version()).isEqualTo(1);
        assertThat(first.active().parentVersion()).isZero();
        assertThat(first.active().author()).isEqualTo("alice");
        assertThat(first.active().sha256()).isEqualTo(ConfigDocuments.sha256(numbered(1)));
        assertThat(second.outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(second.active().version()).isEqualTo(2);
        assertThat(second.active().parentVersion()).isEqualTo(1);
        assertThat(second.active().rolledBackFrom()).isZero();
        assertThat(store.activeVersion()).hasValue(2);
        assertThat(store.getVersion(0).config()).isEqualTo(numbered(2));
        assertThat(store.getVersion(1).config()).isEqualTo(numbered(1));
        assertThat(store.listVersions(10)).extracting(VersionRecord::version).containsExactly(2L, 1L);
        assertThat(store.listVersions(1)).extracting(VersionRecord::version).containsExactly(2L);
    }

    @Test
    void applyingContentIdenticalToTheActiveVersionIsUnchangedAndStoresNothing() {
        store.apply(numbered(1), "alice", "first");

        ApplyResult again = store.apply(numbered(1), "bob", "same again");

        assertThat(again.outcome()).isEqualTo(ApplyResult.Outcome.UNCHANGED);
        assertThat(again.active().version()).isEqualTo(1);
        assertThat(again.active().author()).isEqualTo("alice");
        assertThat(store.countVersions()).isEqualTo(1);
    }

    @Test
    void reapplyingAnOlderContentCreatesANewVersion() {
        store.apply(numbered(1), "a", "");
        store.apply(numbered(2), "a", "");

        ApplyResult back = store.apply(numbered(1), "a", "");

        assertThat(back.outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(back.active().version()).isEqualTo(3);
    }

    @Test
    void rollbackCreatesNewVersionWithTheTargetsContent() throws Exception {
        VersionRecord v1 = store.apply(numbered(1), "alice", "first").active();
        store.apply(numbered(2), "alice", "second");

        ApplyResult rollback = store.rollback(1, "carol", "back to 1");

        assertThat(rollback.outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
        VersionRecord v3 = rollback.active();
        assertThat(v3.version()).isEqualTo(3);
        assertThat(v3.sha256()).isEqualTo(v1.sha256());
        assertThat(v3.rolledBackFrom()).isEqualTo(1);
        assertThat(v3.parentVersion()).isEqualTo(2);
        assertThat(v3.author()).isEqualTo("carol");
        assertThat(v3.message()).isEqualTo("back to 1");
        assertThat(store.getVersion(3).config()).isEqualTo(numbered(1));
        assertThat(store.activeVersion()).hasValue(3);
        // History is not rewritten.
        assertThat(store.getVersion(2).config()).isEqualTo(numbered(2));
        assertThat(store.countVersions()).isEqualTo(3);
    }

    @Test
    void rollbackToContentEqualToTheActiveVersionIsUnchanged() throws Exception {
        store.apply(numbered(1), "a", "");
        store.apply(numbered(2), "a", "");
        store.apply(numbered(1), "a", "");

        ApplyResult result = store.rollback(1, "a", "");

        assertThat(result.outcome()).isEqualTo(ApplyResult.Outcome.UNCHANGED);
        assertThat(result.active().version()).isEqualTo(3);
        assertThat(store.countVersions()).isEqualTo(3);
    }

    @Test
    void rollbackToAnUnknownVersionIsNotFoundAndStoresNothing() {
        store.apply(numbered(1), "a", "");

        assertThatThrownBy(() -> store.rollback(7, "a", ""))
                .isInstanceOf(VersionNotFoundException.class).hasMessageContaining("7");
        assertThat(store.countVersions()).isEqualTo(1);
        assertThat(store.activeVersion()).hasValue(1);
    }

    @Test
    void getVersionOfUnknownOrNoActiveVersionIsNotFound() {
        assertThatThrownBy(() -> store.getVersion(0)).isInstanceOf(VersionNotFoundException.class);
        store.apply(numbered(1), "a", "");
        assertThatThrownBy(() -> store.getVersion(2)).isInstanceOf(VersionNotFoundException.class);
    }

    @Test
    void applyNotifiesTheNewVersionOnCommit() throws Exception {
        try (Connection listener = db.connect(); Statement st = listener.createStatement()) {
            st.execute("LISTEN " + ConfigStore.CHANNEL);

            store.apply(numbered(1), "a", "");
            store.apply(numbered(1), "a", "unchanged: no notification");
            store.apply(numbered(2), "a", "");

            List<String> payloads = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (payloads.size() < 2 && System.nanoTime() < deadline) {
                PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(200);
                for (PGNotification n : notifications == null ? new PGNotification[0] : notifications) {
                    payloads.add(n.getParameter());
                }
            }
            assertThat(payloads).containsExactly("1", "2");
        }
    }

    @Test
    void concurrentAppliesSerializeIntoAChainOfDistinctVersions() throws Exception {
        int writers = 6;
        List<Callable<ApplyResult>> applies = new ArrayList<>();
        for (int i = 1; i <= writers; i++) {
            GatewayConfig config = numbered(i);
            applies.add(() -> store.apply(config, "writer", ""));
        }
        List<VersionRecord> created = new ArrayList<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(writers)) {
            for (Future<ApplyResult> f : executor.invokeAll(applies)) {
                assertThat(f.get().outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
                created.add(f.get().active());
            }
        }
        created.sort(Comparator.comparingLong(VersionRecord::version));
        assertThat(created).extracting(VersionRecord::version).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        for (int i = 1; i < created.size(); i++) {
            assertThat(created.get(i).parentVersion()).isEqualTo(created.get(i - 1).version());
        }
        assertThat(store.activeVersion()).hasValue(6);
    }
}
