#!/usr/bin/env bash
# Runs the whole build and every test: unit, integration (real PostgreSQL, real Redis, real gRPC,
# real HTTP upstreams on loopback) and system tests. Needs PostgreSQL reachable as described in
# README.md (GATEHOUSE_TEST_DB_URL, default jdbc:postgresql://localhost:5432/postgres, user postgres).
# Extra arguments go to Maven (e.g. -o, -pl data-plane -am, -Dtest=...).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk.sh)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
major=$(scripts/find-jdk.sh --major "$JAVA_HOME")
# Maven's own Guava warns about sun.misc.Unsafe on JDK 24+; the flag does not exist before 24.
if (( ${major%%.*} >= 24 )); then export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"; fi
# verify, not install: the reactor resolves the modules (and their test-jars) without touching ~/.m2.
exec mvn -B -ntp verify "$@"
