#!/usr/bin/env bash
# JMH benchmark of the data plane's route lookup (tables of 1k and 10k routes).
# Builds data-plane with the `jmh` Maven profile (benchmarks live in data-plane/src/jmh/java and
# are not part of the normal build), then runs them. Extra arguments go to JMH, e.g.
#   bench/route-lookup.sh -p routes=10000 -prof gc
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MVN_OPTS=(-q -B ${MAVEN_OFFLINE:+-o})

mvn "${MVN_OPTS[@]}" -pl data-plane -Pjmh test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
CP="data-plane/target/test-classes:data-plane/target/classes:$(cat data-plane/target/jmh.classpath)"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jmh.Main \
    RouteLookupBenchmark -f 1 -wi 3 -i 5 "$@"
