#!/usr/bin/env bash
# Gatehouse's data plane beside its peers, in one run on this machine (issue 16):
#
#   bench/peers.sh                  # full: ~15 min (BENCH_ROUNDS=3 interleaved rounds of 8 s per row)
#   BENCH_SHORT=1 bench/peers.sh    # short: ~3 min (one round of 3 s, shorter warm-ups)
#
# Needs the jars (scripts/test.sh -DskipTests), PostgreSQL on 127.0.0.1:5432 as for bench/run.sh
# (database gatehouse_peers, recreated), Redis on 127.0.0.1:6379 for the rate-limited rows, Maven for
# the Spring Cloud Gateway peer (bench/scg/, built here; never committed). Installs nginx, haproxy,
# caddy and wrk (Debian packages) when missing; a peer that cannot be installed is reported as such.
#
# Every proxy forwards to the same upstream (nginx, one worker) over HTTP/1.1 keep-alive with a pool
# of 128 connections, and is checked to return the upstream's exact bytes (small body, 1 MiB body,
# upload answer) before it is measured:
#   nginx       1 worker, proxy_pass + keepalive 128, keepalive_requests raised (its default of 1000
#               closes connections the others keep), client bodies buffered in memory up to 2 MiB
#   HAProxy     nbthread 1, http-reuse always, pool-max-conn 128
#   Caddy       reverse_proxy, GOMAXPROCS=1, admin off, auto HTTPS off, keepalive_idle_conns 128
#   SCG         Spring Cloud Gateway (WebFlux, Reactor Netty), one route, pool max-connections 128,
#               the same JVM flags as the data plane
#   Gatehouse   data plane with request telemetry off, and one with the default telemetry (metrics
#               and traces at the default sampler, exported over OTLP/HTTP to an nginx sink);
#               access log off in both
# Scenarios (wrk -t2; the same connections for every row of a scenario):
#   keepalive   ~100-byte GET, 50 keep-alive connections
#   close       Connection: close on every request (a new TCP connection per request)
#   close10     a new connection every 10 requests (wrk Lua: every 10th request says Connection: close)
#   down1m      GET of a 1 MiB body, 10 connections (MiB/s = req/s; CPU per MiB)
#   up1m        POST of a 1 MiB body, 10 connections
#   edge        Gatehouse only: plain route vs the full edge chain (RS256 JWT + Redis rate limit +
#               metrics + tracing at the default sampling) vs a rate-limited route
#   half        p99 at about half of nginx's keep-alive rate (wrk Lua delay(), as bench/run.sh)
# Per row: req/s (median of the interleaved rounds), ratio to nginx, p50/p99, non-2xx, proxy CPU µs
# per request (utime+stime of the proxy's processes from /proc over the round / requests) and VmRSS
# sampled in the middle of the round.
#
# Environment: BENCH_ROUNDS (3), BENCH_DURATION (8s), BENCH_PEERS (nginx,haproxy,caddy,scg,gh,ghdef),
# BENCH_SCENARIOS (keepalive,close,close10,down1m,up1m,edge,half), BENCH_KEEP=1 keeps the temp dir,
# BENCH_DP_VARIANTS for A/B runs of data plane builds or settings (bench/README.md, "Levers"):
#   "name|dir with the jar and lib/ (empty: this checkout's)|java options|environment", ';'-separated;
#   "@telemetry" in the environment stands for the default telemetry exported to this run's OTLP sink;
#   these replace gh/ghdef, the first one is the reference of the ratios, and peers not listed in
#   BENCH_PEERS are skipped (e.g. BENCH_PEERS=gh to compare data planes only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
if [[ ${BENCH_SHORT:-0} == 1 ]]; then
  ROUNDS=${BENCH_ROUNDS:-1}; DURATION=${BENCH_DURATION:-3s}; WARM=${BENCH_WARM:-4s}
else
  ROUNDS=${BENCH_ROUNDS:-3}; DURATION=${BENCH_DURATION:-8s}; WARM=${BENCH_WARM:-12s}
fi
SCENARIOS=${BENCH_SCENARIOS:-keepalive,close,close10,down1m,up1m,edge,half}
PEERS=${BENCH_PEERS:-nginx,haproxy,caddy,scg,gh,ghdef}
CONNS=50; BIG_CONNS=10; THREADS=2
DB_NAME=gatehouse_peers
DB_URL=${GATEHOUSE_BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/$DB_NAME}
CP_JAR=control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar
DP_JAR=data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar
for jar in "$CP_JAR" "$DP_JAR" admin-cli/target/gatehouse-admin-cli-0.1.0-SNAPSHOT.jar; do
  [[ -f $jar ]] || { echo "peers: $jar missing; build first: scripts/test.sh -DskipTests" >&2; exit 2; }
done
has() { [[ ",$PEERS," == *",$1,"* ]]; }
scenario() { [[ ",$SCENARIOS," == *",$1,"* ]]; }
echo "peers: $(date -u '+%F %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# --- tools (Debian packages, idempotent) --------------------------------------------------------
declare -A MISSING
need=()
command -v wrk >/dev/null || need+=(wrk)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || need+=(nginx)
has haproxy && { command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || need+=(haproxy); }
has caddy && { command -v caddy >/dev/null || need+=(caddy); }
if ((${#need[@]})); then
  echo "peers: installing ${need[*]} (Debian packages)"
  for pkg in "${need[@]}"; do
    apt-get install -y -q "$pkg" >/dev/null 2>&1 || MISSING[$pkg]="apt-get install $pkg failed (apt-cache policy $pkg)"
  done
fi
command -v wrk >/dev/null || { echo "peers: wrk is required" >&2; exit 2; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[[ -x $HAPROXY ]] || MISSING[haproxy]=${MISSING[haproxy]:-"not installed"}
command -v caddy >/dev/null || MISSING[caddy]=${MISSING[caddy]:-"not installed"}

TMP=$(mktemp -d /tmp/gatehouse-peers.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www" "$TMP/logs" "$TMP/lua"
chmod 755 "$TMP" "$TMP/www"

# Ports 18000-18999 (the box's convention for benchmarks), each checked free.
NEXT_PORT=${BENCH_PORT_BASE:-18100}
port() { # VAR: the next free port into VAR (no subshell: NEXT_PORT must advance)
  while (exec 3<>"/dev/tcp/127.0.0.1/$NEXT_PORT") 2>/dev/null; do NEXT_PORT=$((NEXT_PORT + 1)); done
  printf -v "$1" '%s' "$NEXT_PORT"; NEXT_PORT=$((NEXT_PORT + 1))
}
wait_http() { # url seconds [pid]
  local deadline=$((SECONDS + ${2:-60}))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "peers: timed out waiting for $1" >&2; return 1; }
    if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then echo "peers: process $3 exited waiting for $1" >&2; return 1; fi
    sleep 0.2
  done
}

# --- the upstream: nginx, one worker ------------------------------------------------------------
port UP; port OTLP
printf 'hello from the benchmark upstream, a small static body of about 100 bytes..........\n' > "$TMP/www/index.html"
head -c 1048576 /dev/urandom > "$TMP/www/big.bin"
cat > "$TMP/upstream.conf" <<NGINX
worker_processes 1;
pid $TMP/upstream.pid;
error_log $TMP/logs/upstream-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 2m;
  client_body_buffer_size 2m;
  server {
    listen 127.0.0.1:$UP;
    root $TMP/www;
    location = /big { try_files /big.bin =404; }
    location = /upload { return 200 "uploaded\n"; }
    location = /jwks.json { try_files /jwks.json =404; }
    location / { try_files \$uri /index.html; }
  }
  server { listen 127.0.0.1:$OTLP; location / { return 200; } }
}
NGINX
"$NGINX" -p "$TMP" -c "$TMP/upstream.conf" -g 'daemon off;' 2>"$TMP/logs/upstream.stderr" &
PIDS+=($!); UP_PID=$!
wait_http "http://127.0.0.1:$UP/" 20

# --- peers ---------------------------------------------------------------------------------------
declare -A URL PID LABEL SKIP
ORDER=()
add_target() { ORDER+=("$1"); URL[$1]=$2; PID[$1]=$3; LABEL[$1]=$4; }
PROXY_JOPTS=(-XX:+UseParallelGC -Xms1g -Xmx1g -XX:NewRatio=1 -XX:+AlwaysPreTouch --sun-misc-unsafe-memory-access=allow)
# The data planes also get the 2-core recommendation -Djdk.readPollers=1 (data-plane/README.md; the
# 2026-12-01 06:55 results in bench/README.md were measured before it was added).
DP_JOPTS=(-Djdk.readPollers=1)

add_target direct "http://127.0.0.1:$UP" "$UP_PID" "direct to the upstream (no proxy)"

if has nginx; then
  port P
  cat > "$TMP/nginx.conf" <<NGINX
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 2m;
  client_body_buffer_size 2m;
  upstream fixed { server 127.0.0.1:$UP; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$P;
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  "$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -g 'daemon off;' 2>"$TMP/logs/nginx.stderr" &
  PIDS+=($!)
  add_target nginx "http://127.0.0.1:$P" $! "nginx 1 worker (reference)"
fi

if has haproxy && [[ -z ${MISSING[haproxy]:-} ]]; then
  port P
  cat > "$TMP/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$P
  default_backend be
backend be
  server up 127.0.0.1:$UP pool-max-conn 128
CFG
  "$HAPROXY" -f "$TMP/haproxy.cfg" -db >"$TMP/logs/haproxy.log" 2>&1 &
  PIDS+=($!)
  add_target haproxy "http://127.0.0.1:$P" $! "HAProxy $("$HAPROXY" -v 2>/dev/null | awk 'NR==1{print $3}') nbthread 1"
elif has haproxy; then
  add_target haproxy "" 0 "HAProxy"; SKIP[haproxy]=${MISSING[haproxy]}
fi

if has caddy && [[ -z ${MISSING[caddy]:-} ]]; then
  port P
  cat > "$TMP/Caddyfile" <<CADDY
{
	admin off
	auto_https off
}
http://127.0.0.1:$P {
	reverse_proxy 127.0.0.1:$UP {
		transport http {
			keepalive 90s
			keepalive_idle_conns 128
			keepalive_idle_conns_per_host 128
		}
	}
}
CADDY
  mkdir -p "$TMP/caddy-home"
  HOME=$TMP/caddy-home XDG_DATA_HOME=$TMP/caddy-home XDG_CONFIG_HOME=$TMP/caddy-home GOMAXPROCS=1 \
    caddy run --config "$TMP/Caddyfile" --adapter caddyfile >"$TMP/logs/caddy.log" 2>&1 &
  PIDS+=($!)
  add_target caddy "http://127.0.0.1:$P" $! "Caddy $(caddy version 2>/dev/null | awk '{print $1}') GOMAXPROCS=1"
elif has caddy; then
  add_target caddy "" 0 "Caddy"; SKIP[caddy]=${MISSING[caddy]}
fi

if has scg; then
  SCG_JAR=bench/scg/target/scg-peer.jar
  if [[ ! -f $SCG_JAR || -n $(find bench/scg/src bench/scg/pom.xml -newer "$SCG_JAR" 2>/dev/null) ]]; then
    echo "peers: building the Spring Cloud Gateway peer (bench/scg, Maven)"
    (cd bench/scg && mvn -B -ntp -q package -DskipTests) >"$TMP/logs/scg-build.log" 2>&1 || true
  fi
  if [[ -f $SCG_JAR ]]; then
    port P
    "$JAVA" "${PROXY_JOPTS[@]}" -jar "$SCG_JAR" --server.port="$P" --bench.upstream="http://127.0.0.1:$UP" \
      >"$TMP/logs/scg.log" 2>&1 &
    PIDS+=($!)
    add_target scg "http://127.0.0.1:$P" $! "Spring Cloud Gateway (WebFlux)"
  else
    add_target scg "" 0 "Spring Cloud Gateway"; SKIP[scg]="Maven build failed (logs/scg-build.log)"
  fi
fi

# --- Gatehouse: control plane and data planes --------------------------------------------------
# Data plane variants: name|jar dir|java options|environment. By default the data plane with request
# telemetry off (gh) and the one with the default telemetry (ghdef).
DEF_TELEMETRY="OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none"
VARIANTS=()
if [[ -n ${BENCH_DP_VARIANTS:-} ]]; then
  IFS=';' read -r -a VARIANTS <<<"$BENCH_DP_VARIANTS"
else
  has gh && VARIANTS+=("gh|||GATEHOUSE_REQUEST_TELEMETRY=off OTEL_SDK_DISABLED=true")
  has ghdef && VARIANTS+=("ghdef|||$DEF_TELEMETRY")
fi
DP_NAMES=()
if ((${#VARIANTS[@]})); then
  port CPP; port CPH
  psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -q -c "DROP DATABASE IF EXISTS $DB_NAME" \
    -c "CREATE DATABASE $DB_NAME" postgres >/dev/null
  mkdir -p "$TMP/cp" "$TMP/dp"
  cp -r "$CP_JAR" control-plane/target/lib "$TMP/cp/" # copies: a rebuild during the run must not matter
  cp -r "$DP_JAR" data-plane/target/lib "$TMP/dp/"
  export GATEHOUSE_PKI_DIR=$TMP/pki
  "$ROOT/bin/gatehouse" certs init >/dev/null
  "$ROOT/bin/gatehouse" certs issue control-plane --ip 127.0.0.1 >/dev/null
  "$ROOT/bin/gatehouse" certs issue admin --name bench >/dev/null
  tls_env() { echo "GATEHOUSE_TLS_CERT=$TMP/pki/$1.pem GATEHOUSE_TLS_KEY=$TMP/pki/$1-key.pem GATEHOUSE_TLS_CA=$TMP/pki/ca.pem"; }
  # shellcheck disable=SC2046
  env $(tls_env control-plane) GATEHOUSE_DB_URL="$DB_URL" GATEHOUSE_CP_BIND=127.0.0.1 GATEHOUSE_CP_PORT=$CPP \
    GATEHOUSE_CP_HTTP_PORT=$CPH GATEHOUSE_REPLICA_ID=peers-cp \
    "$JAVA" -XX:+UseParallelGC -Xms256m -Xmx512m --sun-misc-unsafe-memory-access=allow -jar "$TMP/cp/$(basename "$CP_JAR")" \
    >"$TMP/logs/cp.log" 2>&1 &
  PIDS+=($!); CP_PID=$!
  for v in "${VARIANTS[@]}"; do
    IFS='|' read -r name dir jopts denv <<<"$v"
    denv=${denv//@telemetry/$DEF_TELEMETRY} # the default telemetry, exported to this run's sink
    dir=${dir:-$TMP/dp}
    jar=$(ls "$dir"/gatehouse-data-plane-*.jar | grep -v -- -tests | head -1)
    "$ROOT/bin/gatehouse" certs issue data-plane --node "peers-$name" --region bench >/dev/null
    port P; port A
    # shellcheck disable=SC2046,SC2086 # word splitting of the option and environment lists is intended
    env $(tls_env "peers-$name") GATEHOUSE_CP_ADDRESS=127.0.0.1:$CPP GATEHOUSE_BIND=127.0.0.1 GATEHOUSE_PORT=$P \
      GATEHOUSE_ADMIN_PORT=$A GATEHOUSE_STATE_DIR=$TMP/state-$name GATEHOUSE_DRAIN_TIMEOUT=1s \
      GATEHOUSE_ACCESS_LOG=off GATEHOUSE_REDIS_URL=${GATEHOUSE_BENCH_REDIS_URL:-redis://127.0.0.1:6379} $denv \
      "$JAVA" "${PROXY_JOPTS[@]}" "${DP_JOPTS[@]}" $jopts -jar "$jar" >"$TMP/logs/dp-$name.log" 2>&1 &
    PIDS+=($!)
    label="Gatehouse $name"
    [[ $name == gh ]] && label="Gatehouse, request telemetry off"
    [[ $name == ghdef ]] && label="Gatehouse, default telemetry (metrics, traces at the default sampler)"
    if [[ -n ${BENCH_DP_VARIANTS:-} ]]; then
      label="Gatehouse $name"
      echo "peers: variant $name: jar from ${dir}, java options '${jopts}', environment '${denv}'"
    fi
    add_target "$name" "http://127.0.0.1:$P" $! "$label"
    DP_NAMES+=("$name"); declare "ADMIN_$name=$A"
  done
  deadline=$((SECONDS + 180))
  until (exec 3<>"/dev/tcp/127.0.0.1/$CPP") 2>/dev/null; do
    kill -0 "$CP_PID" 2>/dev/null || { echo "peers: the control plane exited (BENCH_KEEP=1 keeps $TMP/logs)" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "peers: timed out waiting for the control plane" >&2; exit 1; }
    sleep 0.3
  done
  # A token for the edge chain: RS256, its public key inline in the config (jwksJson).
  python3 - "$TMP" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
tmp = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
num = lambda n: b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))
pub = key.public_key().public_numbers()
jwks = {"keys": [{"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig", "n": num(pub.n), "e": num(pub.e)}]}
open(f"{tmp}/jwks.json", "w").write(json.dumps(jwks))
header = b64(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
claims = b64(json.dumps({"iss": "https://bench.example", "aud": "bench", "sub": "bench-user",
                         "iat": int(time.time()), "exp": int(time.time()) + 7200}).encode())
sig = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
open(f"{tmp}/token", "w").write(f"{header}.{claims}.{b64(sig)}")
PY
  TOKEN=$(cat "$TMP/token")
  cat > "$TMP/gateway.yaml" <<YAML
settings: {upstreamPolicy: {allowLoopback: true}}
upstreams:
  - name: fixed
    targets: [{url: "http://127.0.0.1:$UP"}]
jwtProviders:
  - name: bench
    issuer: https://bench.example
    audiences: [bench]
    jwksJson: '$(cat "$TMP/jwks.json")'
    algorithms: [RS256]
routes:
  - id: edge
    upstream: fixed
    match: {pathPrefix: /edge}
    auth: {jwtProviders: [bench]}
    rateLimiting:
      limits: [{name: per-user, algorithm: TOKEN_BUCKET, limit: 1000000000, period: 1s, key: {jwtSubject: true}}]
  - id: limited
    upstream: fixed
    match: {pathPrefix: /limited}
    rateLimiting:
      limits: [{name: per-ip, algorithm: TOKEN_BUCKET, limit: 1000000000, period: 1s, key: {clientIp: true}}]
  - id: plain
    upstream: fixed
    match: {pathPrefix: /}
YAML
  "$ROOT/bin/gatehouse" --server "127.0.0.1:$CPP" --timeout 60s apply -m "peers bench" "$TMP/gateway.yaml" \
    >"$TMP/logs/apply.out" 2>&1 || { cat "$TMP/logs/apply.out" >&2; exit 1; }
fi

# --- every target answers with the upstream's exact bytes ----------------------------------------
sha() { sha256sum | cut -c1-16; }
WANT_SMALL=$(curl -s "http://127.0.0.1:$UP/" | sha)
WANT_BIG=$(sha <"$TMP/www/big.bin")
WANT_UP=$(printf 'uploaded\n' | sha)
head -c 1048576 /dev/zero | tr '\0' 'x' > "$TMP/upload.bin"
for t in "${ORDER[@]}"; do
  [[ -n ${SKIP[$t]:-} ]] && continue
  wait_http "${URL[$t]}/" 180 "${PID[$t]}" || { SKIP[$t]="did not start (logs in BENCH_KEEP=1 temp dir)"; continue; }
  for _ in 1 2 3 4 5 6 7 8 9 10; do # data planes: until the applied config is in force
    [[ $(curl -s "${URL[$t]}/" | sha) == "$WANT_SMALL" ]] && break; sleep 1
  done
  got_small=$(curl -s "${URL[$t]}/" | sha)
  got_big=$(curl -s "${URL[$t]}/big" | sha)
  got_up=$(curl -s --data-binary @"$TMP/upload.bin" -H 'Content-Type: application/octet-stream' "${URL[$t]}/upload" | sha)
  if [[ $got_small != "$WANT_SMALL" || $got_big != "$WANT_BIG" || $got_up != "$WANT_UP" ]]; then
    SKIP[$t]="body differs from the upstream's (small $got_small, 1 MiB $got_big, upload $got_up)"
  fi
done
for name in "${DP_NAMES[@]}"; do
  if [[ -z ${SKIP[$name]:-} ]]; then
    for path in /edge/ /limited/; do
      got=$(curl -s -H "Authorization: Bearer $TOKEN" "${URL[$name]}$path" | sha)
      [[ $got == "$WANT_SMALL" ]] || echo "peers: $name$path does not return the upstream's body ($got)" >&2
    done
  fi
done

# --- measuring ----------------------------------------------------------------------------------
TICK=$(getconf CLK_TCK)
tree_pids() { echo "$1"; pgrep -P "$1" 2>/dev/null || true; }
cpu_ticks() { # pid -> utime+stime of it and its children (nginx: the worker)
  local sum=0 p
  for p in $(tree_pids "$1"); do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $sum
}
rss_kb() { local sum=0 p; for p in $(tree_pids "$1"); do sum=$((sum + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $sum; }
cat > "$TMP/lua/close10.lua" <<'LUA'
-- every 10th request of each wrk thread asks for Connection: close, so connections live ~10 requests
local n = 0
request = function()
  n = n + 1
  if n % 10 == 0 then return wrk.format(nil, nil, {["Connection"] = "close"}) end
  return wrk.format()
end
LUA
cat > "$TMP/lua/up1m.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
parse_wrk() { # wrk output -> "rps p50ms p99ms non2xx requests"
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v); x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
try:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50 = ms(re.search(r"\n\s+50%\s+(\S+)", t).group(1)); p99 = ms(re.search(r"\n\s+99%\s+(\S+)", t).group(1))
    n = int(re.search(r"(\d+) requests in", t).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t); err = re.search(r"Socket errors: (.*)", t)
    print("%.0f %.3f %.3f %s %d %s" % (rps, p50, p99, bad.group(1) if bad else 0, n,
          (err.group(1).replace(" ", "") if err else "-")))
except Exception:
    print("0 0 0 0 0 wrk-failed")
PY
}
# run_one target scenario [duration] -> "rps p50ms p99ms non2xx requests errors cpu_us rss_mib"
run_one() {
  local t=$1 s=$2 d=${3:-$DURATION} path=/
  local -a a=(-t"$THREADS" -c"$CONNS")
  case $s in
    keepalive) ;;
    close) a+=(-H "Connection: close");;
    close10) a+=(-s "$TMP/lua/close10.lua");;
    down1m) a=(-t"$THREADS" -c"$BIG_CONNS"); path=/big;;
    up1m) a=(-t"$THREADS" -c"$BIG_CONNS" -s "$TMP/lua/up1m.lua"); path=/upload;;
    edge) a+=(-H "Authorization: Bearer $TOKEN"); path=/edge/;;
    limited) path=/limited/;;
  esac
  local before; before=$(cpu_ticks "${PID[$t]}")
  # resident memory in the middle of the run, under load
  ( sleep "$(python3 -c "print(${d%s} / 2)")"; rss_kb "${PID[$t]}" > "$TMP/rss" ) &
  local sampler=$!
  wrk "${a[@]}" -d"$d" --latency "${URL[$t]}$path" >"$TMP/wrk.out" 2>&1 || true
  wait $sampler 2>/dev/null || true
  local after; after=$(cpu_ticks "${PID[$t]}")
  local r; r=$(parse_wrk "$TMP/wrk.out")
  local n; n=$(echo "$r" | awk '{print $5}')
  local cpu; cpu=$(python3 -c "print(round(($after - $before) * 1e6 / $TICK / max(1, $n), 1))")
  echo "$r $cpu $(( $(cat "$TMP/rss" 2>/dev/null || echo 0) / 1024 ))"
}
declare -A RES
LIVE=()
for t in "${ORDER[@]}"; do
  if [[ -n ${SKIP[$t]:-} ]]; then echo "peers: ${LABEL[$t]}: skipped: ${SKIP[$t]}"; else LIVE+=("$t"); fi
done
echo "peers: warming up (${WARM} per JVM target and scenario)"
for t in "${LIVE[@]}"; do
  case $t in direct|nginx|haproxy|caddy) continue;; esac
  for s in keepalive close down1m up1m; do scenario "$s" || [[ $s == keepalive ]] || continue; run_one "$t" "$s" "$WARM" >/dev/null; done
  if [[ " ${DP_NAMES[*]} " == *" $t "* ]] && scenario edge; then run_one "$t" edge "$WARM" >/dev/null; run_one "$t" limited "$WARM" >/dev/null; fi
done

PEER_SCENARIOS=()
for s in keepalive close close10 down1m up1m; do scenario "$s" && PEER_SCENARIOS+=("$s"); done
for ((round = 1; round <= ROUNDS; round++)); do
  echo "peers: round $round of $ROUNDS (load average $(cut -d' ' -f1 /proc/loadavg))"
  for s in "${PEER_SCENARIOS[@]}"; do
    for t in "${LIVE[@]}"; do
      [[ $t == direct && $s != keepalive ]] && continue
      RES[$t,$s]+="$(run_one "$t" "$s")"$'\n'
    done
  done
  if scenario edge; then
    for t in "${DP_NAMES[@]}"; do
      [[ -n ${SKIP[$t]:-} ]] && continue
      for s in edge limited; do RES[$t,$s]+="$(run_one "$t" "$s")"$'\n'; done
    done
  fi
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# p99 at about half of nginx's keep-alive rate (bench/run.sh's method: wrk Lua delay of 2 ms, the
# connection count sized for the rate; an open-loop approximation, wrk2 is not in Debian)
HALF_ROWS=""
if scenario half && [[ -n ${RES[nginx,keepalive]:-} ]]; then
  nginx_rps=$(printf '%s' "${RES[nginx,keepalive]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  HALF=$((${nginx_rps%.*} / 2))
  HALF_CONNS=$(python3 -c "print(max(1, round($HALF * 2.5 / 1000)))")
  echo 'function delay() return 2 end' > "$TMP/lua/half.lua"
  for t in direct nginx haproxy "${DP_NAMES[@]}"; do
    [[ -z ${URL[$t]:-} || -n ${SKIP[$t]:-} ]] && continue
    wrk -t$THREADS -c"$HALF_CONNS" -d"$DURATION" --latency -s "$TMP/lua/half.lua" "${URL[$t]}/" >"$TMP/wrk.out" 2>&1 || true
    HALF_ROWS+="$t $(parse_wrk "$TMP/wrk.out")"$'\n'
  done
fi

# --- report -------------------------------------------------------------------------------------
{
  for t in "${ORDER[@]}"; do echo "LABEL	$t	${LABEL[$t]}	${SKIP[$t]:-}"; done
  for key in "${!RES[@]}"; do printf '%s' "${RES[$key]}" | grep . | sed "s/^/RES	${key%,*}	${key#*,}	/"; done
  printf '%s' "$HALF_ROWS" | grep . | sed 's/^/HALF	/' || true
} > "$TMP/results.tsv"
python3 - "$TMP/results.tsv" "$ROUNDS" "$DURATION" "$CONNS" "$BIG_CONNS" "$(nproc)" "$LOAD_END" "${HALF:-0}" "${HALF_CONNS:-0}" \
  "${DP_NAMES[0]:-}" <<'PY'
import collections, statistics, sys
path, rounds, duration, conns, big, cores, load_end, half, half_conns, ref_dp = sys.argv[1:11]
labels, skip, order = {}, {}, []
res = collections.defaultdict(list)
half_rows = []
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if f[0] == "LABEL":
        order.append(f[1]); labels[f[1]] = f[2]; skip[f[1]] = f[3] if len(f) > 3 else ""
    elif f[0] == "RES":
        v = f[3].split()
        res[(f[1], f[2])].append(v)
    elif f[0] == "HALF":
        half_rows.append(f[1].split())
def median_row(rows):  # the round with the median req/s
    rows = sorted(rows, key=lambda r: float(r[0]))
    return rows[(len(rows) - 1) // 2]
med = {k: median_row(v) for k, v in res.items() if v}
rps = lambda t, s: float(med[(t, s)][0]) if (t, s) in med else None
cpu = lambda t, s: float(med[(t, s)][6]) if (t, s) in med else None
dps = [t for t in order if t not in ("direct", "nginx", "haproxy", "caddy", "scg")]
ref = "nginx" if ("nginx", "keepalive") in med else (dps[0] if dps else None)
titles = {"keepalive": f"keep-alive, ~100-byte GET, {conns} connections",
          "close": f"connection churn: Connection: close on every request, {conns} connections",
          "close10": f"connection churn: a new connection every 10 requests, {conns} connections",
          "down1m": f"1 MiB response bodies (GET), {big} connections: MiB/s = req/s",
          "up1m": f"1 MiB request bodies (POST), {big} connections: MiB/s = req/s"}
print(f"\n{cores} cores, wrk -t2 -d{duration}, {rounds} interleaved round(s), median round kept;"
      f" load average at the end {load_end}")
for s, title in titles.items():
    if not any((t, s) in med for t in order):
        continue
    big_rows = s in ("down1m", "up1m")
    print(f"\n### {title}\n")
    cpu_head = "CPU ms per MiB" if big_rows else "CPU µs/req"
    print(f"| target | req/s | vs {ref} | p50 ms | p99 ms | non-2xx / errors | {cpu_head} | CPU vs {ref} | RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in order:
        if skip.get(t):
            if s == "keepalive":
                print(f"| {labels[t]} | skipped: {skip[t]} | | | | | | | |")
            continue
        if (t, s) not in med:
            continue
        r = med[(t, s)]
        rr = rps(ref, s); cr = cpu(ref, s)
        c = float(r[6]) / 1000 if big_rows else float(r[6])
        crs = f"{float(r[6]) / cr:.2f}x" if cr and t != "direct" else ""
        print(f"| {labels[t]} | {float(r[0]):.0f} | {float(r[0]) / rr:.2f}x | {float(r[1]):.2f} | {float(r[2]):.2f} |"
              f" {r[3]} / {r[5]} | {c:.1f} | {crs} | {r[7]} |" if rr else "")
    allr = {t: ", ".join(x[0] for x in res[(t, s)]) for t in order if (t, s) in res}
    print("\nreq/s of each round: " + "; ".join(f"{t} {v}" for t, v in allr.items()))
edge_rows = [(t, s) for t in dps for s in ("edge", "limited") if (t, s) in med]
if edge_rows:
    print("\n### Gatehouse routes: plain vs rate-limited vs the full edge chain (keep-alive, same run)\n")
    print("| data plane | route | req/s | vs its plain route | vs nginx | p50 ms | p99 ms | non-2xx | CPU µs/req |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    names = {"keepalive": "plain", "limited": "Redis rate limit (token bucket, never trips)",
             "edge": "edge chain: RS256 JWT + Redis rate limit per subject (+ the DP's telemetry)"}
    for t in dps:
        for s in ("keepalive", "limited", "edge"):
            if (t, s) not in med:
                continue
            r = med[(t, s)]; plain = rps(t, "keepalive"); ng = rps("nginx", "keepalive")
            print(f"| {labels[t]} | {names[s]} | {float(r[0]):.0f} | {float(r[0]) / plain:.2f}x |"
                  f" {float(r[0]) / ng if ng else 0:.2f}x | {float(r[1]):.2f} | {float(r[2]):.2f} | {r[3]} | {r[6]} |")
if half_rows:
    direct = next((r for r in half_rows if r[0] == "direct"), None)
    print(f"\n### p99 at about half of nginx's keep-alive rate (target {half} req/s: {half_conns} connections, 2 ms wrk delay())\n")
    print("| target | req/s | p50 ms | p99 ms | p99 added over direct, ms |\n|---|---:|---:|---:|---:|")
    for r in half_rows:
        added = float(r[3]) - float(direct[3]) if direct else 0
        print(f"| {labels.get(r[0], r[0])} | {r[1]} | {float(r[2]):.2f} | {float(r[3]):.2f} | {added:.2f} |")
# issue 16's targets, judged on this run
if ref == "nginx" and dps:
    print("\n### issue 16 targets in this run\n")
    print("| target | measured | met? |\n|---|---|---|")
    def row(name, text, ok):
        print(f"| {name} | {text} | {'yes' if ok else '**no**'} |")
    for t in [d for d in ("gh", "ghdef") if d in dps] or dps[:1]:
        lab = "telemetry off" if t == "gh" else "default telemetry" if t == "ghdef" else t
        if cpu(t, "keepalive") and cpu("nginx", "keepalive"):
            x = cpu(t, "keepalive") / cpu("nginx", "keepalive")
            row(f"plain route CPU/req <= 1.3x nginx ({lab})", f"{cpu(t, 'keepalive'):.1f} vs {cpu('nginx', 'keepalive'):.1f} µs = {x:.2f}x", x <= 1.3)
            x = rps(t, "keepalive") / rps("nginx", "keepalive")
            row(f"plain route req/s >= 0.9x nginx ({lab})", f"{x:.2f}x", x >= 0.9)
        if (t, "close") in med and ("nginx", "close") in med:
            x = rps(t, "close") / rps("nginx", "close")
            row(f"churn (new connection per request) req/s >= 0.9x nginx ({lab})", f"{x:.2f}x", x >= 0.9)
            x = cpu(t, "close") / cpu("nginx", "close")
            row(f"churn CPU/req <= 1.5x nginx ({lab})", f"{cpu(t, 'close'):.1f} vs {cpu('nginx', 'close'):.1f} µs = {x:.2f}x", x <= 1.5)
        if (t, "limited") in med:
            x = rps(t, "limited") / rps(t, "keepalive")
            row(f"rate-limited route >= 0.8x plain ({lab})", f"{x:.2f}x", x >= 0.8)
        if (t, "edge") in med:
            x = rps(t, "edge") / rps("nginx", "keepalive")
            row(f"full edge chain req/s >= 0.7x nginx plain proxy ({lab})", f"{x:.2f}x", x >= 0.7)
        if ("scg", "keepalive") in med:
            x = rps(t, "keepalive") / rps("scg", "keepalive"); y = cpu(t, "keepalive") / cpu("scg", "keepalive")
            row(f"vs Spring Cloud Gateway: >= 3x req/s, <= 1/3 CPU/req ({lab})", f"{x:.2f}x req/s, {y:.2f}x CPU", x >= 3 and y <= 1 / 3)
    if half_rows:
        d = {r[0]: float(r[3]) for r in half_rows}
        for t in [x for x in dps if x in d]:
            added = d[t] - d.get("direct", 0)
            row(f"p99 added at half of nginx's rate <= 0.6 ms ({t})", f"{added:.2f} ms (nginx {d.get('nginx', 0) - d.get('direct', 0):.2f} ms)", added <= 0.6)
PY
