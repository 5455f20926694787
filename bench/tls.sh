#!/usr/bin/env bash
# HTTPS termination: the data plane's HTTPS listener against nginx `ssl` + `proxy_pass`, in one run,
# same certificate (an EC P-256 edge certificate from `gatehouse certs issue server`), same upstream
# (nginx serving a ~100-byte static body), everything on loopback (~3 minutes).
#
# Measures with wrk (BENCH_THREADS x BENCH_CONNECTIONS, BENCH_DURATION each):
#   (h1) HTTPS keep-alive req/s, p50, p99: nginx ssl proxy (1 worker) vs Gatehouse (request telemetry
#        off, as run.sh's (c0)), interleaved, BENCH_ROUNDS rounds each, median round kept;
#   (h2) new TLS handshakes per second: the same with "Connection: close" (wrk resumes no sessions,
#        so every request is a full handshake + one request);
#   (h3) p99 at about half of nginx's keep-alive rate (each connection waits 2 ms before each request,
#        as run.sh does; wrk2 is not packaged in Debian), for direct HTTP to the upstream, nginx HTTPS
#        and Gatehouse HTTPS: "added" is the p99 over the direct one.
# Needs PostgreSQL on 127.0.0.1:5432 (recreates the database gatehouse_bench_tls), wrk and nginx
# (installed from Debian if missing) and the jars (scripts/test.sh -DskipTests).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
DURATION=${BENCH_DURATION:-15s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
DB_NAME=gatehouse_bench_tls
DB_URL=jdbc:postgresql://127.0.0.1:5432/$DB_NAME
CP_JAR=control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar
DP_JAR=data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar
for jar in "$CP_JAR" "$DP_JAR" admin-cli/target/gatehouse-admin-cli-0.1.0-SNAPSHOT.jar; do
  [[ -f $jar ]] || { echo "bench: $jar missing; build first: scripts/test.sh -DskipTests" >&2; exit 2; }
done
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
if ((${#need[@]})); then apt-get install -y -q "${need[@]}" >/dev/null; fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d /tmp/gatehouse-bench-tls.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_url() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -fsSk -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "bench: timed out waiting for $1 (logs: BENCH_KEEP=1 keeps $TMP)" >&2; exit 1; }
    sleep 0.3
  done
}
UP=$(free_port); NGS=$(free_port); CPP=$(free_port); CPH=$(free_port); DP=$(free_port); DPS=$(free_port); DPA=$(free_port)

# --- certificates: the planes' mutual TLS and one edge certificate both servers present ---------
export GATEHOUSE_PKI_DIR=$TMP/pki
"$ROOT/bin/gatehouse" certs init >/dev/null
"$ROOT/bin/gatehouse" certs issue control-plane --ip 127.0.0.1 >/dev/null
"$ROOT/bin/gatehouse" certs issue data-plane --node bench-tls --region bench >/dev/null
"$ROOT/bin/gatehouse" certs issue admin --name bench >/dev/null
"$ROOT/bin/gatehouse" certs issue server --dns localhost --ip 127.0.0.1 --out "$TMP/edge.pem" >/dev/null
"$ROOT/bin/gatehouse" kek create "$TMP/kek.json" >/dev/null

# --- nginx: the upstream and the HTTPS reverse proxy (1 worker: the faster on 2 cores, see run.sh) --
mkdir -p "$TMP/www" "$TMP/logs"
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/edge-key.pem" # nginx workers may run as www-data
printf 'hello from the benchmark upstream, a small static body of about 100 bytes..........\n' > "$TMP/www/index.html"
cat > "$TMP/upstream.conf" <<NGINX
worker_processes 1; pid $TMP/upstream.pid; error_log $TMP/logs/upstream-error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP; root $TMP/www; location / { try_files \$uri /index.html; } } }
NGINX
cat > "$TMP/proxy.conf" <<NGINX
worker_processes 1; pid $TMP/proxy.pid; error_log $TMP/logs/proxy-error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream fixed { server 127.0.0.1:$UP; keepalive 128; }
  server {
    listen 127.0.0.1:$NGS ssl;
    ssl_certificate $TMP/edge.pem; ssl_certificate_key $TMP/edge-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_set_header X-Forwarded-Proto https; }
  } }
NGINX
for conf in upstream proxy; do
  "$NGINX" -p "$TMP" -c "$TMP/$conf.conf" -g 'daemon off;' 2>"$TMP/logs/$conf.stderr" & PIDS+=($!)
done
wait_url "http://127.0.0.1:$UP/" 20
wait_url "https://127.0.0.1:$NGS/" 20

# --- control plane (with a KEK: certificates are secrets) and one data plane with --https-port -----
psql -h 127.0.0.1 -U "${PGUSER:-postgres}" -q -c "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME" postgres >/dev/null
mkdir -p "$TMP/cp" "$TMP/dp" # copies: a rebuild of target/ during the run must not pull the classes away
cp -r "$CP_JAR" control-plane/target/lib "$TMP/cp/"; cp -r "$DP_JAR" data-plane/target/lib "$TMP/dp/"
tls_env() { echo "GATEHOUSE_TLS_CERT=$TMP/pki/$1.pem GATEHOUSE_TLS_KEY=$TMP/pki/$1-key.pem GATEHOUSE_TLS_CA=$TMP/pki/ca.pem"; }
env $(tls_env control-plane) GATEHOUSE_DB_URL=$DB_URL GATEHOUSE_CP_BIND=127.0.0.1 GATEHOUSE_CP_PORT=$CPP \
  GATEHOUSE_CP_HTTP_PORT=$CPH GATEHOUSE_REPLICA_ID=bench-tls-cp GATEHOUSE_KEK_FILE=$TMP/kek.json \
  "$JAVA" -XX:+UseParallelGC -Xms256m -Xmx512m --sun-misc-unsafe-memory-access=allow \
  -jar "$TMP/cp/$(basename "$CP_JAR")" >"$TMP/logs/cp.log" 2>&1 & PIDS+=($!)
# As data-plane/README.md recommends for a proxy; request telemetry off (run.sh's (c0)): TLS cost only.
env $(tls_env bench-tls) GATEHOUSE_CP_ADDRESS=127.0.0.1:$CPP GATEHOUSE_BIND=127.0.0.1 GATEHOUSE_PORT=$DP \
  GATEHOUSE_HTTPS_PORT=$DPS GATEHOUSE_ADMIN_PORT=$DPA GATEHOUSE_STATE_DIR=$TMP/state GATEHOUSE_DRAIN_TIMEOUT=1s \
  GATEHOUSE_REQUEST_TELEMETRY=off OTEL_SDK_DISABLED=true \
  "$JAVA" -XX:+UseParallelGC -Xms1g -Xmx1g -XX:NewRatio=1 -XX:+AlwaysPreTouch --sun-misc-unsafe-memory-access=allow \
  -jar "$TMP/dp/$(basename "$DP_JAR")" >"$TMP/logs/dp.log" 2>&1 & PIDS+=($!)
wait_url "http://127.0.0.1:$DPA/healthz" 180
deadline=$((SECONDS + 120))
until (exec 3<>"/dev/tcp/127.0.0.1/$CPP") 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "bench: the control plane did not start" >&2; exit 1; }; sleep 0.3
done
gatehouse() { "$ROOT/bin/gatehouse" --server "127.0.0.1:$CPP" "$@"; }
gatehouse secrets set bench-cert --from-file "$TMP/edge.pem" -m bench >/dev/null
gatehouse secrets set bench-key --from-file "$TMP/edge-key.pem" -m bench >/dev/null
cat > "$TMP/gateway.yaml" <<YAML
upstreams: [{name: fixed, targets: [{url: "http://127.0.0.1:$UP"}]}]
routes: [{id: bench, match: {pathPrefix: /}, upstream: fixed, timeouts: {request: 30s}}]
certificates: [{name: bench, hosts: [localhost], certSecret: bench-cert, keySecret: bench-key}]
settings: {upstreamPolicy: {allowLoopback: true}}
YAML
gatehouse --timeout 60s apply -m "bench tls" "$TMP/gateway.yaml" >/dev/null
wait_url "https://127.0.0.1:$DPS/" 60

# --- measurements -------------------------------------------------------------------------------
parse_wrk() { python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
m = re.search(r"Requests/sec:\s+([\d.]+)", text)
if m is None:  # wrk failed (e.g. the target went away): a row of zeros, not an aborted run
    print("0 0 0 0 wrk-failed"); sys.exit(0)
rps = float(m.group(1))
lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", text, re.M)}
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(f"{rps:.0f} {lat.get('50', 0):.2f} {lat.get('99', 0):.2f} {non2xx.group(1) if non2xx else 0} {'errors:' + errors.group(1).replace(' ', '') if errors else ''}")
PY
}
run_wrk() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" > "$TMP/wrk.out" 2>&1; parse_wrk "$TMP/wrk.out"; }
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
echo "warming up (JIT) ..." >&2
wrk -t"$THREADS" -c"$CONNS" -d15s "https://127.0.0.1:$DPS/" >/dev/null 2>&1
wrk -t"$THREADS" -c"$CONNS" -d10s -H "Connection: close" "https://127.0.0.1:$DPS/" >/dev/null 2>&1
declare -A RUNS
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round/$ROUNDS ..." >&2
  RUNS[nk]+="$(run_wrk "https://127.0.0.1:$NGS/")"$'\n'
  RUNS[gk]+="$(run_wrk "https://127.0.0.1:$DPS/")"$'\n'
  RUNS[nh]+="$(run_wrk -H "Connection: close" "https://127.0.0.1:$NGS/")"$'\n'
  RUNS[gh]+="$(run_wrk -H "Connection: close" "https://127.0.0.1:$DPS/")"$'\n'
done
declare -A R
for k in nk gk nh gh; do R[$k]=$(printf '%s' "${RUNS[$k]}" | median); done
read -r n_rps _ <<<"${R[nk]}"
HALF=$((${n_rps%.*} / 2))
HALF_CONNS=$(python3 -c "print(max(1, round($HALF * 2.5 / 1000)))")
echo 'function delay() return 2 end' > "$TMP/throttle.lua"
run_half() { wrk -t"$THREADS" -c"$HALF_CONNS" -d"$DURATION" --latency -s "$TMP/throttle.lua" "$1" > "$TMP/wrk.out" 2>&1; parse_wrk "$TMP/wrk.out"; }
echo "p99 at about half of nginx's rate ($HALF req/s target, $HALF_CONNS connections) ..." >&2
H_a=$(run_half "http://127.0.0.1:$UP/")
H_n=$(run_half "https://127.0.0.1:$NGS/")
H_g=$(run_half "https://127.0.0.1:$DPS/")

echo
echo "## bench/tls.sh $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), wrk -t$THREADS -c$CONNS -d$DURATION, median of $ROUNDS rounds"
echo
python3 - "${R[nk]}" "${R[gk]}" "${R[nh]}" "${R[gh]}" "$H_a" "$H_n" "$H_g" "$HALF" <<'PY'
import sys
nk, gk, nh, gh, ha, hn, hg = (a.split() for a in sys.argv[1:8])
half = sys.argv[8]
print("| target | req/s | p50 ms | p99 ms | vs nginx | non-2xx |")
print("|---|---:|---:|---:|---:|---:|")
def row(name, r, ref):
    print(f"| {name} | {r[0]} | {r[1]} | {r[2]} | {float(r[0]) / float(ref[0]):.2f}x | {r[3]}{' ' + r[4] if len(r) > 4 else ''} |")
row("(h1) nginx ssl + proxy_pass, keep-alive", nk, nk)
row("(h1) Gatehouse HTTPS listener, keep-alive", gk, nk)
row("(h2) nginx, new TLS handshake per request", nh, nh)
row("(h2) Gatehouse, new TLS handshake per request", gh, nh)
print()
print(f"p99 at about half of nginx's keep-alive rate ({half} req/s target):")
print()
print("| target | req/s | p50 ms | p99 ms | p99 added vs direct ms |")
print("|---|---:|---:|---:|---:|")
for name, r in (("direct HTTP to the upstream", ha), ("nginx HTTPS proxy", hn), ("Gatehouse HTTPS", hg)):
    print(f"| {name} | {r[0]} | {r[1]} | {r[2]} | {float(r[2]) - float(ha[2]):.2f} |")
PY
