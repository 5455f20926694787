#!/usr/bin/env bash
# What mutual TLS costs (system-tests MutualTlsCostBench; numbers printed, never asserted):
#  - apply -> both data planes serving the new version, plaintext vs mutual TLS, same JVM and run,
#    interleaved rounds (BENCH_ROUNDS, default 30), median and p90;
#  - a data plane's first snapshot after start (connect, handshake, push), both modes;
#  - a certificate rotation: CPU and allocation of one reload, retained heap, the idle periodic check.
# Needs PostgreSQL like the tests. Extra arguments go to Maven (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test.sh -q -pl system-tests -am -Dtest=MutualTlsCostBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dgatehouse.bench=true -Dgatehouse.bench.rounds="${BENCH_ROUNDS:-30}" "$@"
grep -ho 'BENCH .*' system-tests/target/surefire-reports/*MutualTlsCostBench-output.txt
