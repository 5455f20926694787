package io.gatehouse.controlplane.testing;

import io.gatehouse.controlplane.store.Database;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a test's database costs, printed, never asserted (run by {@code bench/test-databases.sh};
 * skipped unless {@code -Dgatehouse.bench=true}): a new empty database that Flyway then migrates
 * (what every test class paid before the migrated template) against a copy of the template that
 * Flyway only validates (what {@link TestDatabase#migrated()} costs), and the same with a control
 * plane started and stopped on it. Rounds are interleaved so both see the same load on a shared
 * machine; medians of {@code gatehouse.bench.rounds} rounds.
 */
@EnabledIfSystemProperty(named = "gatehouse.bench", matches = "true")
class TestDatabaseCostBench {

    private static final int ROUNDS = Integer.getInteger("gatehouse.bench.rounds", 15);

    @Test
    void emptyAndMigratedVersusTemplateCopy() {
        // warm-up: class loading, Flyway's first scan, the template itself
        time(() -> migrateOn(TestDatabase.empty()));
        time(() -> migrateOn(TestDatabase.migrated()));
        List<Long> empty = new ArrayList<>();
        List<Long> copied = new ArrayList<>();
        List<Long> cpOnEmpty = new ArrayList<>();
        List<Long> cpOnCopy = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            empty.add(time(() -> migrateOn(TestDatabase.empty())));
            copied.add(time(() -> migrateOn(TestDatabase.migrated())));
            cpOnEmpty.add(time(() -> controlPlaneOn(TestDatabase.empty())));
            cpOnCopy.add(time(() -> controlPlaneOn(TestDatabase.migrated())));
        }
        System.out.printf("BENCH test database, create + migrate + drop: empty then Flyway %d ms, template copy %d ms"
                + " (median of %d)%n", median(empty), median(copied), ROUNDS);
        System.out.printf("BENCH test database + control plane start/stop: empty %d ms, template copy %d ms"
                + " (median of %d)%n", median(cpOnEmpty), median(cpOnCopy), ROUNDS);
    }

    private static Object migrateOn(TestDatabase db) {
        try (db) {
            db.start();
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setUrl(db.jdbcUrl());
            dataSource.setUser(db.user());
            dataSource.setPassword(db.password());
            return Database.migrate(dataSource);
        }
    }

    private static Object controlPlaneOn(TestDatabase db) {
        try (db; RunningControlPlane cp = RunningControlPlane.on(db)) {
            cp.start();
            return cp.port();
        }
    }

    private static long time(Supplier<Object> work) {
        long start = System.nanoTime();
        work.get();
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
