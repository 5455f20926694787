#!/usr/bin/env bash
# Fleet scale, simulated (system-tests FleetBench; numbers printed, never asserted): N data plane
# watch clients in one JVM, each with its own client certificate, against two control plane
# replicas in their own JVMs on one PostgreSQL database (needs PostgreSQL like the tests).
#   short (default): N = 100, 1000 with 1k routes
#   FLEET_FULL=1:    N = 100, 1000, 5000 with 1k and 10k routes
# FLEET_SIZES / FLEET_ROUTES (comma lists), FLEET_PUSHES (5), FLEET_B_SHARE (0.5: share of the fleet on
# the replica that is restarted), FLEET_RESTART (true), FLEET_REPLICA_JVM ("-Xmx2g -XX:+UseG1GC") override.
# The replicas' watch encoding can be switched for A/B runs through FLEET_REPLICA_JVM:
#   -Dgatehouse.watch.compression=identity     no gzip (default gzip, negotiated)
#   -Dgatehouse.watch.sharedEncoding=false     serialize the snapshot per stream (gRPC's own marshaller)
# Extra arguments go to Maven (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${FLEET_FULL:-0}" == 1 ]]; then
  sizes=${FLEET_SIZES:-100,1000,5000}; routes=${FLEET_ROUTES:-1000,10000}
else
  sizes=${FLEET_SIZES:-100,1000}; routes=${FLEET_ROUTES:-1000}
fi
# Each simulated data plane holds one TCP connection here and one in a replica; 5,000 of them plus
# the JVMs' own files need more than the usual 1,024 descriptors. Raise the soft limit as far as the
# hard one allows, and say so when that is less than the fleet needs.
hard=$(ulimit -Hn)
if [[ "$hard" == unlimited ]] || (( hard > 65536 )); then ulimit -n 65536; else ulimit -n "$hard"; fi
max=$(tr ',' '\n' <<<"$sizes" | sort -n | tail -1)
if (( $(ulimit -n) < max + 2000 )); then
  echo "fleet.sh: open files limited to $(ulimit -n), N=$max needs about $((max + 2000)); raise the hard limit (ulimit -Hn)" >&2
fi
echo "fleet.sh: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), sizes $sizes, routes $routes"
scripts/test.sh -q -pl system-tests -am -Dtest=FleetBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dgatehouse.bench.fleet=true -Dgatehouse.fleet.sizes="$sizes" -Dgatehouse.fleet.routes="$routes" \
  -Dgatehouse.fleet.pushes="${FLEET_PUSHES:-5}" -Dgatehouse.fleet.restart="${FLEET_RESTART:-true}" -Dgatehouse.fleet.bShare="${FLEET_B_SHARE:-0.5}" \
  -Dgatehouse.fleet.replicaJvm="${FLEET_REPLICA_JVM:--Xmx2g -XX:+UseG1GC}" "$@" || status=$?
grep -ho 'FLEET .*' system-tests/target/surefire-reports/*FleetBench-output.txt || true
exit "${status:-0}"
