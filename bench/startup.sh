#!/usr/bin/env bash
# Start-up times (issue 16): what a CLI command costs, and how long a data plane restarted while the
# control plane is away takes from process start to its first proxied 200 (served from the
# last-known-good snapshot on disk), each with and without the JVM's class cache (JDK 24+ AOT cache,
# JDK 21-23 AppCDS). Interleaved rounds; medians of wall time and of CPU time (user+sys of the process
# tree, from /usr/bin/time), the steadier figure on a shared machine.
#
#   scripts/test.sh -DskipTests     # the jars
#   bench/startup.sh                # ~2-3 minutes; BENCH_ROUNDS (default 7)
#
# Needs only a JDK: the control plane runs its embedded PostgreSQL in a temp dir.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
JAVA_HOME=$(scripts/find-jdk.sh); export JAVA_HOME
java="$JAVA_HOME/bin/java"
major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release")
rounds=${BENCH_ROUNDS:-7}
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null   # GNU time: CPU seconds of a command
cp_port=${CP_PORT:-17590} cp_http=${CP_HTTP_PORT:-17591} dp_port=${DP_PORT:-17592} dp_admin=${DP_ADMIN_PORT:-17593}
up_port=${UPSTREAM_PORT:-17594}
for jar in admin-cli control-plane data-plane; do
  [[ -f $jar/target/gatehouse-$jar-0.1.0-SNAPSHOT.jar ]] || { echo "build first: scripts/test.sh -DskipTests" >&2; exit 2; }
done
work=$(mktemp -d /tmp/gatehouse-startup.XXXXXX); chmod 755 "$work"   # the embedded PostgreSQL's user must get in when root
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
await() { local deadline=$((SECONDS + $1)); shift 1; until "$@" >/dev/null 2>&1; do (( SECONDS < deadline )) || { echo "timed out: $*" >&2; exit 1; }; sleep 0.05; done; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
cpu_of() { # cpu_of COMMAND...: "wall_ms cpu_ms" of the command (and its children)
  /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >/dev/null 2>&1
  awk '{printf "%d %d\n", $1*1000, ($2+$3)*1000}' "$work/time"
}

export GATEHOUSE_PKI_DIR="$work/pki" GATEHOUSE_CP_ADDRESS="127.0.0.1:$cp_port"
bin/gatehouse certs init >/dev/null
bin/gatehouse certs issue control-plane --dns localhost --ip 127.0.0.1 >/dev/null
bin/gatehouse certs issue data-plane --node dp-bench-1 --region us >/dev/null
bin/gatehouse kek create "$work/pki/kek.json" >/dev/null
(umask 077; bin/gatehouse tokens generate > "$work/pki/bootstrap.token")
export GATEHOUSE_TOKEN_FILE="$work/pki/bootstrap.token"
p="$work/pki"

mkdir -p "$work/www/hello"; echo 'hello from the upstream' > "$work/www/hello/index.txt"
"$JAVA_HOME/bin/jwebserver" -b 127.0.0.1 -p "$up_port" -d "$work/www" >/dev/null 2>&1 & pids+=($!)
GATEHOUSE_KEK_FILE="$p/kek.json" GATEHOUSE_BOOTSTRAP_TOKEN_FILE="$p/bootstrap.token" \
  "$java" -jar control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar --embedded-postgres "$work/pg" \
  --port "$cp_port" --http-port "$cp_http" --tls-cert "$p/control-plane.pem" --tls-key "$p/control-plane-key.pem" \
  --tls-ca "$p/ca.pem" >"$work/cp.log" 2>&1 & cp_pid=$!; pids+=($cp_pid)
await 120 port_open "$cp_port"
cat > "$work/gateway.yaml" <<YAML
upstreams:
  - name: hello
    targets:
      - url: http://127.0.0.1:$up_port
routes:
  - id: hello
    match:
      pathPrefix: /hello
    upstream: hello
settings:
  upstreamPolicy:
    allowLoopback: true
YAML
bin/gatehouse apply "$work/gateway.yaml" -m "startup bench" >/dev/null
dp_args=(-jar data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar --tls-cert "$p/dp-bench-1.pem"
  --tls-key "$p/dp-bench-1-key.pem" --tls-ca "$p/ca.pem" --control-plane "127.0.0.1:$cp_port" --port "$dp_port"
  --admin-port "$dp_admin" --state-dir "$work/state")
served() { [[ "$(curl -fsS "http://127.0.0.1:$dp_port/hello/index.txt" 2>/dev/null)" == "hello from the upstream" ]]; }

echo "== CLI: 'gatehouse versions' against a control plane over mutual TLS ($rounds interleaved rounds)"
GATEHOUSE_CLI_CACHE=off bin/gatehouse versions >/dev/null        # warm the page cache
rm -rf admin-cli/target/gatehouse-cli-jdk*; bin/gatehouse versions >/dev/null
for _ in $(seq 1 60); do ls admin-cli/target/gatehouse-cli-jdk* 2>/dev/null | grep -qv building && break; sleep 1; done
: >"$work/cli-off"; : >"$work/cli-on"
for _ in $(seq 1 "$rounds"); do
  GATEHOUSE_CLI_CACHE=off cpu_of bin/gatehouse versions >>"$work/cli-off"
  cpu_of bin/gatehouse versions >>"$work/cli-on"
done

echo "== Data plane: first start (gets the snapshot, saves it), then the control plane stops"
"$java" "${dp_args[@]}" >"$work/dp-first.log" 2>&1 & dp=$!
await 60 served; kill "$dp"; wait "$dp" 2>/dev/null || true
kill "$cp_pid"; wait "$cp_pid" 2>/dev/null || true
aot=()
if (( major >= 25 )); then
  # Training run: start from disk, serve, stop; the JVM writes the cache at exit.
  "$java" -XX:AOTCacheOutput="$work/dp.aot" "${dp_args[@]}" >"$work/dp-train.log" 2>&1 & dp=$!
  await 60 served; for _ in $(seq 1 200); do served; done; kill "$dp"; wait "$dp" 2>/dev/null || true
  for _ in $(seq 1 60); do [[ -s "$work/dp.aot" ]] && break; sleep 1; done
  aot=(-XX:AOTCache="$work/dp.aot")
fi
dp_cold() { # ms from process start to the first 200 served from the disk snapshot; then stop
  local t0 t1; t0=$(date +%s%N)
  "$java" "$@" "${dp_args[@]}" >>"$work/dp-cold.log" 2>&1 & local dp=$!
  until served; do sleep 0.01; done
  t1=$(date +%s%N); kill "$dp"; wait "$dp" 2>/dev/null || true
  echo $(( (t1 - t0) / 1000000 ))
}
# The Debian packages' way (packaging/README.md, "Start-up"): a dynamic class-data-sharing archive the
# JVM writes at its first clean exit and maps from then on; one unmeasured run writes it.
cds=(-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile="$work/dp.jsa")
dp_cold "${cds[@]}" >/dev/null
for _ in $(seq 1 60); do [[ -s "$work/dp.jsa" ]] && break; sleep 1; done
: >"$work/dp-off"; : >"$work/dp-on"; : >"$work/dp-cds"
for _ in $(seq 1 "$rounds"); do
  dp_cold >>"$work/dp-off"
  dp_cold "${cds[@]}" >>"$work/dp-cds"
  if (( ${#aot[@]} )); then dp_cold "${aot[@]}" >>"$work/dp-on"; fi
done

echo
echo "Results ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, JDK $major, load average $(cut -d' ' -f1-3 /proc/loadavg), medians of $rounds)"
printf '| %-62s | %9s | %9s |\n' "" "wall ms" "CPU ms"
printf '|%s|%s|%s|\n' "----------------------------------------------------------------" "-----------" "-----------"
printf '| %-62s | %9s | %9s |\n' "CLI versions, no class cache" "$(cut -d' ' -f1 "$work/cli-off" | median)" "$(cut -d' ' -f2 "$work/cli-off" | median)"
printf '| %-62s | %9s | %9s |\n' "CLI versions, class cache (bin/gatehouse default)" "$(cut -d' ' -f1 "$work/cli-on" | median)" "$(cut -d' ' -f2 "$work/cli-on" | median)"
printf '| %-62s | %9s | %9s |\n' "data plane start -> first 200 from disk, no CP, no cache" "$(median <"$work/dp-off")" "-"
printf '| %-62s | %9s | %9s |\n' "data plane start -> first 200 from disk, no CP, CDS archive (.deb)" "$(median <"$work/dp-cds")" "-"
[[ -s "$work/dp-on" ]] && printf '| %-62s | %9s | %9s |\n' "data plane start -> first 200 from disk, no CP, AOT cache" "$(median <"$work/dp-on")" "-"
exit 0
