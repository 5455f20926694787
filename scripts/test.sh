#!/usr/bin/env bash
# Runs the whole build and every test: unit, integration (real PostgreSQL, real gRPC, real HTTP
# upstreams on loopback) and system tests. Needs PostgreSQL reachable as described in README.md
# (GATEHOUSE_TEST_DB_URL, default jdbc:postgresql://localhost:5432/postgres, user postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/find-jdk.sh)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
exec mvn -B -ntp ${MAVEN_ARGS:-} install "$@"
