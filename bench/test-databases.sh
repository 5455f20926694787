#!/usr/bin/env bash
# What a test's database costs (control-plane TestDatabaseCostBench; numbers printed, never asserted):
# a new empty database migrated by Flyway (every test class before the template) against a copy of
# the migrated template, alone and with a control plane started on it; rounds interleaved
# (BENCH_ROUNDS, default 15), medians. Needs PostgreSQL like the tests. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test.sh -q -pl control-plane -am -Dtest=TestDatabaseCostBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dgatehouse.bench=true -Dgatehouse.bench.rounds="${BENCH_ROUNDS:-15}" "$@"
grep -ho 'BENCH .*' control-plane/target/surefire-reports/*TestDatabaseCostBench-output.txt
