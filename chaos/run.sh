#!/usr/bin/env bash
# The chaos harness, full mode (~15 minutes): starts a fleet of real processes on this machine — its
# own PostgreSQL (initdb + postgres on a private port and temp dir; never the shared server), its own
# redis-server, two control plane replicas, two data planes (regions us and eu), upstreams and fault
# proxies — drives constant-rate load through the data planes and injects each fault of issue 14 in
# turn. Prints one Markdown table and writes it to chaos/RESULTS.md. See chaos/README.md.
#
#   chaos/run.sh                          # full mode, writes chaos/RESULTS.md
#   chaos/run.sh --mode short             # seconds per scenario (what CI runs through mvn verify)
#   chaos/run.sh --only Redis --keep      # scenarios whose name contains "Redis"; keep logs
#
# Needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin; as root they run as user postgres via
# runuser) and redis-server on PATH; root for the disk-full scenario (a tmpfs), else it is skipped.
# Builds the jars first unless CHAOS_SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
JAVA_HOME=$(scripts/find-jdk.sh); export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
out=chaos/RESULTS.md
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --mode && ${args[i + 1]:-} == short ]] && out=""
  [[ ${args[i]} == --out ]] && out=${args[i + 1]:-}
done
major=$(scripts/find-jdk.sh --major "$JAVA_HOME")
if [[ ${CHAOS_SKIP_BUILD:-0} != 1 ]]; then
  echo "chaos: building (mvn package -DskipTests -pl chaos -am)" >&2
  (( ${major%%.*} >= 24 )) && export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  mvn -B -q -ntp package -DskipTests -pl chaos -am
fi
command -v redis-server >/dev/null || { echo "chaos: redis-server not on PATH" >&2; exit 2; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "chaos: PostgreSQL server binaries (initdb) not found" >&2; exit 2; }
opts=(-Xmx1g -Dchaos.root="$root")
(( ${major%%.*} >= 24 )) && opts+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
exec "$JAVA_HOME/bin/java" "${opts[@]}" -cp "chaos/target/classes:chaos/target/lib/*" io.gatehouse.chaos.ChaosMain \
  ${out:+--out "$out"} "$@"
