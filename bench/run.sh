#!/usr/bin/env bash
# Gatehouse data plane benchmark against nginx, on this machine, in one run (~8 minutes).
#
#   bench/run.sh            # needs the jars: scripts/test.sh -DskipTests (or mvn package)
#
# Starts, all on loopback ports and in a temp dir (never the system nginx config):
#   - nginx serving a small static body (the fixed upstream) and nginx as reverse proxy to it
#     (proxy_pass with a keep-alive upstream pool);
#   - a control plane on a fresh PostgreSQL database "gatehouse_bench" and two data planes;
# then measures with wrk (same threads/connections for every target):
#   (a) direct to the upstream, (b) nginx reverse proxy, (c) Gatehouse with one plain route,
#   (d) Gatehouse with many routes and resilience policies on (retries, breaker, limits),
#   (e) a rate-limited route, (f1-f3) Helidon reference servers with no gateway code
#   (bench/floor/HelidonFloor.java), CPU time per request of each process for (b), (c0), (e0),
# prints req/s, p50, p99 and ratios to (b); p99 at about half of (b)'s saturation rate (wrk's Lua
# delay() throttling: wrk2 is not packaged in Debian); snapshot apply time for 1k and 10k routes
# (apply -> the data plane's /config shows the version) and apply -> both data planes serving.
#
# Environment: BENCH_DURATION (15s), BENCH_THREADS (2), BENCH_CONNECTIONS (50),
# BENCH_JFR=1 to record a JFR profile of data plane (c) and print its top frames,
# GATEHOUSE_BENCH_DB_URL (jdbc:postgresql://127.0.0.1:5432/gatehouse_bench), PGHOST/PGUSER for psql,
# BENCH_RUN_PEERS=0 to skip bench/peers.sh (HAProxy, Caddy, Spring Cloud Gateway, churn, bodies, edge chain) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
DURATION=${BENCH_DURATION:-15s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-50}
DB_NAME=gatehouse_bench
DB_URL=${GATEHOUSE_BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/$DB_NAME}
CP_JAR=control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar
DP_JAR=data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar
for jar in "$CP_JAR" "$DP_JAR" admin-cli/target/gatehouse-admin-cli-0.1.0-SNAPSHOT.jar; do
  [[ -f $jar ]] || { echo "bench: $jar missing; build first: scripts/test.sh -DskipTests" >&2; exit 2; }
done

# --- tools (idempotent) ---------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
if ((${#need[@]})); then
  echo "installing ${need[*]} (Debian packages)"
  apt-get install -y -q "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url [seconds] [pid that must stay alive]
  local deadline=$((SECONDS + ${2:-60}))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "bench: timed out waiting for $1" >&2; exit 1; }
    if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then
      echo "bench: process $3 exited while waiting for $1; logs in $TMP/logs (BENCH_KEEP=1 keeps them)" >&2; exit 1
    fi
    sleep 0.2
  done
}
now_ms() { date +%s%3N; }
config_version() { curl -s "http://127.0.0.1:$1/config" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("version",0))' 2>/dev/null || echo 0; }

UP=$(free_port); NGX=$(free_port); NGXA=$(free_port); CPP=$(free_port); OTLP=$(free_port)
FLS=$(free_port); FLK=$(free_port); FLW=$(free_port); CPH=$(free_port)
DP1=$(free_port); DP1A=$(free_port); DP2=$(free_port); DP2A=$(free_port)

# --- nginx: upstream + reverse proxy -------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/logs"
chmod 755 "$TMP" "$TMP/www" # nginx workers may run as another user (www-data when started as root)
printf 'hello from the benchmark upstream, a small static body of about 100 bytes..........\n' > "$TMP/www/index.html"
# The fixed upstream (and an OTLP/HTTP sink for data plane 1's spans: an empty 200 is a valid
# ExportTraceServiceResponse) in one nginx with one worker; the reverse proxy in its own nginx,
# measured with 1 worker and with "auto" (one per core), the faster of the two being reference (b).
cat > "$TMP/upstream.conf" <<NGINX
worker_processes 1;
pid $TMP/upstream.pid;
error_log $TMP/logs/upstream-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP; root $TMP/www; location / { try_files \$uri /index.html; } }
  server { listen 127.0.0.1:$OTLP; location / { return 200; } }
}
NGINX
proxy_conf() { # name workers port
  cat > "$TMP/$1.conf" <<NGINX
worker_processes $2;
pid $TMP/$1.pid;
error_log $TMP/logs/$1-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream fixed { server 127.0.0.1:$UP; keepalive 128; }
  server {
    listen 127.0.0.1:$3;
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
}
proxy_conf proxy1 1 "$NGX"
proxy_conf proxyauto auto "$NGXA"
declare -A NGINX_PID
for conf in upstream proxy1 proxyauto; do
  "$NGINX" -p "$TMP" -c "$TMP/$conf.conf" -g 'daemon off;' 2>"$TMP/logs/$conf.stderr" &
  PIDS+=($!)
  NGINX_PID[$conf]=$!
done
wait_http "http://127.0.0.1:$UP/" 20
wait_http "http://127.0.0.1:$NGX/" 20
wait_http "http://127.0.0.1:$NGXA/" 20

UPSTREAM_WORKER=$(pgrep -P "${NGINX_PID[upstream]}" | head -1) # its single worker: CPU per request
PROXY_WORKER=$(pgrep -P "${NGINX_PID[proxy1]}" | head -1)
# Data planes and the Helidon reference points run with the settings data-plane/README.md
# recommends: a proxy's heap is almost all short-lived garbage, so half of it is young generation.
PROXY_JOPTS=(-XX:+UseParallelGC -Xms1g -Xmx1g -XX:NewRatio=1 -XX:+AlwaysPreTouch --sun-misc-unsafe-memory-access=allow)

# --- Helidon reference points (bench/floor/HelidonFloor.java): the same web server with no gateway
# code: answering itself, forwarding over a bare socket, forwarding with Helidon's WebClient
mkdir -p "$TMP/floor"
"$JAVA_HOME/bin/javac" -nowarn -cp "data-plane/target/lib/*" -d "$TMP/floor" bench/floor/HelidonFloor.java
for spec in "static $FLS" "socket $FLK $UP" "webclient $FLW $UP"; do
  # shellcheck disable=SC2086 # spec holds the arguments
  "$JAVA" "${PROXY_JOPTS[@]}" -cp "$TMP/floor:data-plane/target/lib/*" HelidonFloor $spec \
    >"$TMP/logs/floor-${spec%% *}.log" 2>&1 &
  PIDS+=($!)
done

# --- control plane on a fresh database, two data planes ------------------------------------
psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -q -c "DROP DATABASE IF EXISTS $DB_NAME" \
  -c "CREATE DATABASE $DB_NAME" postgres >/dev/null
# Run copies of the jars: a rebuild of target/ during the run must not pull the classes away.
mkdir -p "$TMP/cp" "$TMP/dp"
cp -r "$CP_JAR" control-plane/target/lib "$TMP/cp/"
cp -r "$DP_JAR" data-plane/target/lib "$TMP/dp/"
CP_JAR=$TMP/cp/$(basename "$CP_JAR")
DP_JAR=$TMP/dp/$(basename "$DP_JAR")
JOPTS=(-XX:+UseParallelGC -Xms256m -Xmx512m --sun-misc-unsafe-memory-access=allow)
# Mutual TLS between the planes and for the CLI, as deployed (it does not touch the proxied traffic).
export GATEHOUSE_PKI_DIR=$TMP/pki
"$ROOT/bin/gatehouse" certs init >/dev/null
"$ROOT/bin/gatehouse" certs issue control-plane --ip 127.0.0.1 >/dev/null
for id in bench-dp1 bench-dp2; do "$ROOT/bin/gatehouse" certs issue data-plane --node $id --region bench >/dev/null; done
"$ROOT/bin/gatehouse" certs issue admin --name bench >/dev/null
tls_env() { # certificate base name -> GATEHOUSE_TLS_* assignments
  echo "GATEHOUSE_TLS_CERT=$TMP/pki/$1.pem GATEHOUSE_TLS_KEY=$TMP/pki/$1-key.pem GATEHOUSE_TLS_CA=$TMP/pki/ca.pem"
}
env $(tls_env control-plane) GATEHOUSE_DB_URL=$DB_URL GATEHOUSE_CP_BIND=127.0.0.1 GATEHOUSE_CP_PORT=$CPP \
  GATEHOUSE_CP_HTTP_PORT=$CPH GATEHOUSE_REPLICA_ID=bench-cp \
  "$JAVA" "${JOPTS[@]}" -jar "$CP_JAR" >"$TMP/logs/cp.log" 2>&1 &
PIDS+=($!)
CP_PID=$!
DP_OPTS=("${PROXY_JOPTS[@]}")
if [[ ${BENCH_JFR:-0} == 1 ]]; then
  DP_OPTS+=("-XX:StartFlightRecording=filename=$TMP/dp1.jfr,settings=profile,dumponexit=true")
fi
start_dp() { # id port admin [extra java opts...]; per-DP environment in DP_ENV
  local id=$1 port=$2 admin=$3; shift 3
  env $(tls_env "$id") GATEHOUSE_CP_ADDRESS=127.0.0.1:$CPP GATEHOUSE_BIND=127.0.0.1 GATEHOUSE_PORT=$port \
    GATEHOUSE_ADMIN_PORT=$admin GATEHOUSE_STATE_DIR=$TMP/state-$id GATEHOUSE_DRAIN_TIMEOUT=1s \
    GATEHOUSE_REDIS_URL=${GATEHOUSE_BENCH_REDIS_URL:-redis://127.0.0.1:6379} "${DP_ENV[@]}" \
    "$JAVA" "$@" -jar "$DP_JAR" >"$TMP/logs/$id.log" 2>&1 &
  PIDS+=($!)
}
# Data plane 1 runs with all request telemetry on: metrics, and every request traced (sampler
# ratio 1.0; the default is 0.05 since issue 16, bench/peers.sh measures that) and exported over
# OTLP/HTTP to the nginx sink.
DP_ENV=(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP
  OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none OTEL_TRACES_SAMPLER_ARG=1.0)
start_dp bench-dp1 "$DP1" "$DP1A" "${DP_OPTS[@]}"
DP1_PID=${PIDS[-1]}
# Data plane 2 runs with request telemetry off (no spans, request metrics or access log): the
# difference between the two on the same route is the telemetry overhead.
DP_ENV=(GATEHOUSE_REQUEST_TELEMETRY=off OTEL_SDK_DISABLED=true)
start_dp bench-dp2 "$DP2" "$DP2A" "${PROXY_JOPTS[@]}"
DP2_PID=${PIDS[-1]}
wait_http "http://127.0.0.1:$DP1A/healthz" 180 "$DP1_PID"
wait_http "http://127.0.0.1:$DP2A/healthz" 180 "$DP2_PID"
for port in "$FLS" "$FLK" "$FLW"; do wait_http "http://127.0.0.1:$port/" 60; done
deadline=$((SECONDS + 120)) # the control plane's gRPC port (it migrates the database first)
until (exec 3<>"/dev/tcp/127.0.0.1/$CPP") 2>/dev/null; do
  kill -0 "$CP_PID" 2>/dev/null || { echo "bench: the control plane exited; logs in $TMP/logs (BENCH_KEEP=1 keeps them)" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "bench: timed out waiting for the control plane on $CPP" >&2; exit 1; }
  sleep 0.2
done

gatehouse() { "$ROOT/bin/gatehouse" --server "127.0.0.1:$CPP" "$@"; }
# apply FILE -> prints the ms from invoking apply until every data plane's /config shows a new version
apply_and_wait() {
  local file=$1; shift
  local before start v
  before=$(config_version "$DP1A")
  start=$(now_ms)
  gatehouse --timeout 60s apply -m "bench $(basename "$file")" "$file" >"$TMP/logs/apply.out" 2>&1 || { cat "$TMP/logs/apply.out" >&2; return 1; }
  for admin in "$@"; do
    local deadline=$((SECONDS + 120))
    while :; do
      v=$(config_version "$admin")
      ((v > before)) && break
      ((SECONDS < deadline)) || { echo "bench: DP on admin port $admin never showed a new version" >&2; return 1; }
      sleep 0.02
    done
  done
  echo $(($(now_ms) - start))
}

routes_yaml() { # count extra-route-fields [catch-all prefix] -> YAML routes (plus the bench route)
  local n=$1 extra=${2:-} bench=${3:-/}
  python3 - "$n" "$extra" "$bench" <<'PY'
import sys
n, extra, bench = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = []
for i in range(n):
    out.append(f"  - id: r{i}\n    upstream: fixed\n    match: {{pathPrefix: /svc{i}/api}}\n")
out.append("  - id: bench\n    upstream: fixed\n    match: {pathPrefix: " + bench + "}\n" + extra)
print("".join(out), end="")
PY
}
write_config() { # file routes upstream-extra route-extra [bench route prefix] [more settings]
  # The upstream listens on loopback, which is refused unless upstreamPolicy.allowLoopback is true.
  { echo "settings: {upstreamPolicy: {allowLoopback: true}${6:+, $6}}"; echo "upstreams:"; echo "  - name: fixed"; echo "    targets: [{url: \"http://127.0.0.1:$UP\"}]"; printf '%s' "${3:-}"
    echo "routes:"; routes_yaml "$2" "${4:-}" "${5:-/}"; } > "$1"
}

# (c) one plain route, and beside it (e) the same route with a distributed rate limit (Redis, one
# EVALSHA per request) that never trips: the cost of limiting itself, measured on one data plane
write_config "$TMP/plain.yaml" 0
cat >> "$TMP/plain.yaml" <<YAML
  - id: limited
    upstream: fixed
    match: {pathPrefix: /limited}
    rateLimiting:
      limits: [{name: per-ip, algorithm: TOKEN_BUCKET, limit: 1000000000, period: 1s, key: {clientIp: true}}]
YAML
apply_and_wait "$TMP/plain.yaml" "$DP1A" "$DP2A" >/dev/null
wait_http "http://127.0.0.1:$DP1/" 30
wait_http "http://127.0.0.1:$DP1/limited" 30

parse_wrk() { # wrk output file -> "rps p50 p99 non2xx" (latencies in ms)
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    x = float(m.group(1)); u = m.group(2)
    return x / 1000 if u == "us" else x * 1000 if u == "s" else x
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\n\s+50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\n\s+99%\s+(\S+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print("%.0f %.3f %.3f %s" % (rps, p50, p99, errors.group(1) if errors else 0))
PY
}
run_wrk() { # url [extra wrk args] -> "rps p50 p99 non2xx"
  local url=$1; shift
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" > "$TMP/wrk.out" 2>&1
  parse_wrk "$TMP/wrk.out"
}
# CPU time per request of the processes serving a run: where a target's machine time goes.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
REDIS_PID=$(pgrep -x redis-server | head -1 || true) # only when Redis runs on this machine
run_wrk_cpu() { # url name=pid... -> "rps p50 p99 non2xx name=us/req,..."
  local url=$1; shift
  local -a before=()
  local spec
  for spec in "$@"; do before+=("$(cpu_ticks "${spec#*=}")"); done
  local result; result=$(run_wrk "$url")
  local requests; requests=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  local i=0 cpu="" tick; tick=$(getconf CLK_TCK)
  for spec in "$@"; do
    cpu+="${cpu:+,}${spec%%=*}=$(python3 -c "print(round(($(cpu_ticks "${spec#*=}") - ${before[i]}) * 1e6 / $tick / max(1, $requests), 1))")"
    i=$((i + 1))
  done
  echo "$result $cpu"
}

# warm-up (JIT) for both data planes, then the measured runs
wrk -t"$THREADS" -c"$CONNS" -d15s "http://127.0.0.1:$DP1/" >/dev/null 2>&1
wrk -t"$THREADS" -c"$CONNS" -d10s "http://127.0.0.1:$DP1/limited" >/dev/null 2>&1
wrk -t"$THREADS" -c"$CONNS" -d15s "http://127.0.0.1:$DP2/" >/dev/null 2>&1
wrk -t"$THREADS" -c"$CONNS" -d10s "http://127.0.0.1:$DP2/limited" >/dev/null 2>&1
for port in "$FLS" "$FLK" "$FLW"; do wrk -t"$THREADS" -c"$CONNS" -d10s "http://127.0.0.1:$port/" >/dev/null 2>&1; done
declare -A R
R[a]=$(run_wrk "http://127.0.0.1:$UP/")
R[b1]=$(run_wrk_cpu "http://127.0.0.1:$NGX/" "nginx-proxy=$PROXY_WORKER" "nginx-upstream=$UPSTREAM_WORKER")
R[bauto]=$(run_wrk "http://127.0.0.1:$NGXA/")
if (( ${R[b1]%% *} >= ${R[bauto]%% *} )); then R[b]=${R[b1]}; else R[b]=${R[bauto]}; fi
R[fs]=$(run_wrk "http://127.0.0.1:$FLS/")
R[fk]=$(run_wrk "http://127.0.0.1:$FLK/")
R[fw]=$(run_wrk "http://127.0.0.1:$FLW/")
# (c), (c0) and (e) are compared with each other: on a shared VM one run each is too noisy for
# that, so they run interleaved, ROUNDS times each, and the round with the median req/s is kept.
ROUNDS=${BENCH_ROUNDS:-3}
median_of() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
declare -A RUNS
for ((round = 1; round <= ROUNDS; round++)); do
  RUNS[c]+="$(run_wrk "http://127.0.0.1:$DP1/")"$'\n'
  RUNS[c0]+="$(run_wrk_cpu "http://127.0.0.1:$DP2/" "data-plane=$DP2_PID" \
    "nginx-upstream=$UPSTREAM_WORKER" ${REDIS_PID:+"redis=$REDIS_PID"})"$'\n'
  RUNS[e]+="$(run_wrk "http://127.0.0.1:$DP1/limited")"$'\n'
  RUNS[e0]+="$(run_wrk_cpu "http://127.0.0.1:$DP2/limited" "data-plane=$DP2_PID" \
    "nginx-upstream=$UPSTREAM_WORKER" ${REDIS_PID:+"redis=$REDIS_PID"})"$'\n'
done
for key in c c0 e e0; do R[$key]=$(printf '%s' "${RUNS[$key]}" | grep . | median_of); done
# (d) many routes + policies
POLICY_UPSTREAM='    circuitBreaker: {consecutiveFailures: 50, failureRatePercent: 50, window: 10s, openDuration: 5s}
'
POLICY_ROUTE='    timeouts: {connect: 1s, request: 5s, idle: 30s}
    retry: {retries: 2, baseBackoff: 5ms, maxBackoff: 50ms, budgetPercent: 20}
    maxConcurrentRequests: 10000
    maxRequestBodyBytes: 1048576
'
write_config "$TMP/policies.yaml" 1000 "$POLICY_UPSTREAM" "$POLICY_ROUTE" / \
  "maxConcurrentRequests: 20000, maxRequestHeaderBytes: 16384"
apply_and_wait "$TMP/policies.yaml" "$DP1A" "$DP2A" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d5s "http://127.0.0.1:$DP1/" >/dev/null 2>&1
R[d]=$(run_wrk "http://127.0.0.1:$DP1/")

# p99 at about half of nginx-proxy saturation: each connection waits delay() ms between requests
read -r b_rps _ <<<"${R[b]}"
HALF=$((${b_rps%.*} / 2))
# delay() has millisecond resolution: wait 2 ms before each request and size the connection count
# so that 2 ms plus ~0.5 ms of response time per request adds up to the target rate.
DELAY=2
HALF_CONNS=$(python3 -c "print(max(1, round($HALF * 2.5 / 1000)))")
cat > "$TMP/throttle.lua" <<LUA
function delay() return $DELAY end
LUA
run_half() { wrk -t"$THREADS" -c"$HALF_CONNS" -d"$DURATION" --latency -s "$TMP/throttle.lua" "$1" > "$TMP/wrk.out" 2>&1
  parse_wrk "$TMP/wrk.out"
}
write_config "$TMP/plain2.yaml" 0 "" "    timeouts: {request: 30s}
"
apply_and_wait "$TMP/plain2.yaml" "$DP1A" "$DP2A" >/dev/null
H_a=$(run_half "http://127.0.0.1:$UP/")
H_b=$(run_half "http://127.0.0.1:$NGX/")
H_fk=$(run_half "http://127.0.0.1:$FLK/")
H_fw=$(run_half "http://127.0.0.1:$FLW/")
H_c=$(run_half "http://127.0.0.1:$DP1/")
H_c0=$(run_half "http://127.0.0.1:$DP2/")

# snapshot apply times and apply -> all data planes serving
write_config "$TMP/r1k.yaml" 1000 "" "" /old
write_config "$TMP/r10k.yaml" 10000 "" "" /old
T1K=$(apply_and_wait "$TMP/r1k.yaml" "$DP1A" "$DP2A")
T10K=$(apply_and_wait "$TMP/r10k.yaml" "$DP1A" "$DP2A")
# apply -> both data planes answer 200 on a route that only the new config has (404 no_route before)
write_config "$TMP/all.yaml" 10 "" "" /fresh
start=$(now_ms)
gatehouse --timeout 60s apply -m "bench all" "$TMP/all.yaml" >"$TMP/logs/apply.out" 2>&1
for port in "$DP1" "$DP2"; do
  deadline=$((SECONDS + 120))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/fresh/x") == 200 ]]; do
    ((SECONDS < deadline)) || { echo "bench: DP $port never served the new route" >&2; exit 1; }
    sleep 0.01
  done
done
TALL=$(($(now_ms) - start))

# --- report --------------------------------------------------------------------------------
python3 - "${R[a]}" "${R[b]}" "${R[c]}" "${R[d]}" "$H_a" "$H_c" "$T1K" "$T10K" "$TALL" "$THREADS" "$CONNS" \
  "$DURATION" "$HALF" "$(nproc)" "${R[c0]}" "${R[e]}" "${R[b1]}" "${R[bauto]}" "$HALF_CONNS" "${R[e0]}" "${R[fs]}" "${R[fk]}" "${R[fw]}" "$H_b" "$H_fk" "$H_fw" "$H_c0" <<'PY'
import sys
a, b, c, d, ha, hc = (s.split() for s in sys.argv[1:7])
t1k, t10k, tall, threads, conns, dur, half, cores = sys.argv[7:15]
c0, e, b1, bauto = (s.split() for s in sys.argv[15:19])
half_conns = sys.argv[19]
e0 = sys.argv[20].split()
fs, fk, fw, hb, hfk, hfw, hc0 = (s.split() for s in sys.argv[21:28])
rows = [("(a) direct to nginx upstream", a),
        ("(b) nginx reverse proxy, 1 worker" + (" = reference" if b == b1 else ""), b1),
        ("(b) nginx reverse proxy, auto workers" + (" = reference" if b == bauto else ""), bauto),
        ("(c) Gatehouse, one plain route (metrics + every request traced, OTLP export)", c),
        ("(c0) Gatehouse, one plain route, request telemetry off", c0),
        ("(d) Gatehouse, 1001 routes + retry/breaker/limits", d),
        ("(e) Gatehouse, plain route + Redis rate limit (token bucket, never trips)", e),
        ("(e0) as (e), request telemetry off", e0),
        ("(f1) reference: Helidon WebServer answering itself, no upstream", fs),
        ("(f2) reference: Helidon WebServer + bare socket to the upstream, no gateway code", fk),
        ("(f3) reference: Helidon WebServer + Helidon WebClient, no gateway code", fw)]
brps, bp99 = float(b[0]), float(b[2])
print(f"\nwrk -t{threads} -c{conns} -d{dur} on {cores} cores, all on loopback (same machine as the load generator)\n")
print("| target | req/s | p50 ms | p99 ms | req/s vs (b) | p99 vs (b) | non-2xx |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, r in rows:
    print(f"| {name} | {float(r[0]):.0f} | {float(r[1]):.2f} | {float(r[2]):.2f} | {float(r[0])/brps:.2f}x | {float(r[2])/bp99:.2f}x | {r[3]} |")
print(f"\ntelemetry overhead, (c) vs (c0): {100 * (1 - float(c[0]) / float(c0[0])):.1f}% req/s (target <= 10%)")
print(f"rate limiting, (e) vs (c) (every request traced): {float(e[0]) / float(c[0]):.2f}x req/s;"
      f" (e0) vs (c0) (telemetry off): {float(e0[0]) / float(c0[0]):.2f}x (target >= 0.8x)")
cpu = lambda r: r[4].replace(",", ", ") if len(r) > 4 else "n/a"
print("\nCPU time per request in microseconds, from /proc (user + system) during the run shown:")
print(f"- (b) nginx reverse proxy, 1 worker: {cpu(b1)}")
print(f"- (c0) Gatehouse plain route, telemetry off: {cpu(c0)}")
print(f"- (e0) Gatehouse rate-limited route, telemetry off: {cpu(e0)}")
print(f"\np99 at ~half of (b)'s saturation (target {half} req/s, {half_conns} connections each waiting 2 ms before every request, wrk Lua delay()):")
print(f"| target | req/s | p50 ms | p99 ms | p99 added over direct, ms |\n|---|---:|---:|---:|---:|")
for name, r in (("direct (a)", ha), ("nginx reverse proxy (b), 1 worker", hb),
                ("Helidon + bare socket (f2)", hfk), ("Helidon + WebClient (f3)", hfw),
                ("Gatehouse (c), every request traced", hc), ("Gatehouse (c0), telemetry off", hc0)):
    print(f"| {name} | {r[0]} | {float(r[1]):.2f} | {float(r[2]):.2f} | {float(r[2]) - float(ha[2]):.2f} |")
print(f"p99 added by Gatehouse over direct at that load: {float(hc[2]) - float(ha[2]):.2f} ms"
      f" (telemetry off: {float(hc0[2]) - float(ha[2]):.2f} ms; target <= 1 ms)\n")
print("| config apply | ms |\n|---|---:|")
print(f"| 1,000 routes: apply -> both DPs' /config show the version | {t1k} |")
print(f"| 10,000 routes: apply -> both DPs' /config show the version | {t10k} |")
print(f"| apply -> both data planes serving the new routes | {tall} |")
PY

rounds() { printf '%s' "${RUNS[$1]}" | grep . | awk '{printf "%s%s", sep, $1; sep=", "}'; }
echo "req/s of each round: (c) $(rounds c); (c0) $(rounds c0); (e) $(rounds e); (e0) $(rounds e0) (median kept)"

if [[ ${BENCH_JFR:-0} == 1 ]]; then
  kill -TERM "$DP1_PID" 2>/dev/null || true
  wait "$DP1_PID" 2>/dev/null || true
  if [[ -f $TMP/dp1.jfr ]]; then
    echo; echo "JFR: top 25 frames of data plane (c)/(d) execution samples (self time)"
    "$JAVA_HOME/bin/jfr" print --events jdk.ExecutionSample "$TMP/dp1.jfr" | python3 -c '
import sys, collections
top = collections.Counter(); expect = False; total = 0
for line in sys.stdin:
    s = line.strip()
    if s.startswith("stackTrace = ["):
        expect = True; continue
    if expect and s:
        top[s.split("line:")[0].strip()] += 1; total += 1; expect = False
for frame, n in top.most_common(25):
    print(f"{100*n/total:5.1f}%  {frame}")
'
  fi
fi

# --- peers: HAProxy, Caddy, Spring Cloud Gateway and the scenarios of issue 16 (bench/peers.sh) ------
# Run after this script's own processes are gone, so they do not hold memory or CPU during it.
if [[ ${BENCH_RUN_PEERS:-1} != 0 ]]; then
  cleanup
  trap - EXIT
  echo; echo "## peers and scenarios (bench/peers.sh; BENCH_RUN_PEERS=0 skips)"
  exec "$ROOT/bench/peers.sh"
fi
