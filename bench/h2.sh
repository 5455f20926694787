#!/usr/bin/env bash
# HTTP/2 benchmark: h2load (h2c, prior knowledge) against Gatehouse and against nginx "http2" as a
# reverse proxy, both in front of the same nginx static upstream over HTTP/1.1 keep-alive, in one run.
#
#   bench/h2.sh            # needs the jars (scripts/test.sh -DskipTests); installs nghttp2-client/nginx
#
# Starts on loopback ports in a temp dir: nginx upstream (1 worker), nginx h2c reverse proxy
# (worker_processes auto), a control plane on a fresh PostgreSQL database "gatehouse_bench_h2" and one
# data plane (request telemetry off, as data plane 2 of bench/run.sh); applies one route; then runs
# h2load with the same clients/streams for each and prints req/s and mean/max latency.
# Environment: H2_DURATION (15), H2_CLIENTS (50), H2_STREAMS (10 concurrent streams per client),
# H2_THREADS (2), GATEHOUSE_BENCH_DB_URL, PGHOST/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
DURATION=${H2_DURATION:-15} CLIENTS=${H2_CLIENTS:-50} STREAMS=${H2_STREAMS:-10} THREADS=${H2_THREADS:-2}
DB_NAME=gatehouse_bench_h2
DB_URL=${GATEHOUSE_BENCH_DB_URL:-jdbc:postgresql://127.0.0.1:5432/$DB_NAME}
CP_JAR=control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar
DP_JAR=data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar
for jar in "$CP_JAR" "$DP_JAR" admin-cli/target/gatehouse-admin-cli-0.1.0-SNAPSHOT.jar; do
  [[ -f $jar ]] || { echo "bench: $jar missing; build first: scripts/test.sh -DskipTests" >&2; exit 2; }
done
need=()
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
if ((${#need[@]})); then apt-get install -y -q "${need[@]}" >/dev/null; fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d /tmp/gatehouse-h2.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { local deadline=$((SECONDS + ${2:-60})); until curl -fsS -o /dev/null "$1" 2>/dev/null; do ((SECONDS < deadline)) || { echo "bench: timed out waiting for $1" >&2; exit 1; }; sleep 0.2; done; }
UP=$(free_port); NGX=$(free_port); CPP=$(free_port); CPH=$(free_port); DP=$(free_port); DPA=$(free_port)

mkdir -p "$TMP/www" "$TMP/logs"; chmod 755 "$TMP" "$TMP/www"
printf 'hello from the benchmark upstream, a small static body of about 100 bytes..........\n' > "$TMP/www/index.html"
cat > "$TMP/upstream.conf" <<NGINX
worker_processes 1; pid $TMP/upstream.pid; error_log $TMP/logs/upstream-error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP; root $TMP/www; location / { try_files \$uri /index.html; } } }
NGINX
cat > "$TMP/proxy.conf" <<NGINX
worker_processes auto; pid $TMP/proxy.pid; error_log $TMP/logs/proxy-error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; http2_max_concurrent_streams 128;
  upstream fixed { server 127.0.0.1:$UP; keepalive 128; }
  server { listen 127.0.0.1:$NGX http2;  # plaintext + http2 = h2c with prior knowledge (nginx 1.22 form)
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
NGINX
for conf in upstream proxy; do "$NGINX" -p "$TMP" -c "$TMP/$conf.conf" -g 'daemon off;' 2>"$TMP/logs/$conf.stderr" & PIDS+=($!); done
wait_http "http://127.0.0.1:$UP/" 20

psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -q -c "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME" postgres >/dev/null
export GATEHOUSE_PKI_DIR=$TMP/pki
"$ROOT/bin/gatehouse" certs init >/dev/null
"$ROOT/bin/gatehouse" certs issue control-plane --ip 127.0.0.1 >/dev/null
"$ROOT/bin/gatehouse" certs issue data-plane --node bench-h2 --region bench >/dev/null
"$ROOT/bin/gatehouse" certs issue admin --name bench >/dev/null
tls_env() { echo "GATEHOUSE_TLS_CERT=$TMP/pki/$1.pem GATEHOUSE_TLS_KEY=$TMP/pki/$1-key.pem GATEHOUSE_TLS_CA=$TMP/pki/ca.pem"; }
env $(tls_env control-plane) GATEHOUSE_DB_URL=$DB_URL GATEHOUSE_CP_BIND=127.0.0.1 GATEHOUSE_CP_PORT=$CPP \
  GATEHOUSE_CP_HTTP_PORT=$CPH GATEHOUSE_REPLICA_ID=bench-cp \
  "$JAVA" -XX:+UseParallelGC -Xmx512m -jar "$CP_JAR" >"$TMP/logs/cp.log" 2>&1 & PIDS+=($!)
env $(tls_env bench-h2) GATEHOUSE_CP_ADDRESS=127.0.0.1:$CPP GATEHOUSE_BIND=127.0.0.1 GATEHOUSE_PORT=$DP \
  GATEHOUSE_ADMIN_PORT=$DPA GATEHOUSE_STATE_DIR=$TMP/state GATEHOUSE_REQUEST_TELEMETRY=off OTEL_SDK_DISABLED=true \
  GATEHOUSE_ACCESS_LOG=off \
  "$JAVA" -XX:+UseParallelGC -Xms1g -Xmx1g -XX:NewRatio=1 -XX:+AlwaysPreTouch --sun-misc-unsafe-memory-access=allow \
  -jar "$DP_JAR" >"$TMP/logs/dp.log" 2>&1 & PIDS+=($!)
wait_http "http://127.0.0.1:$DPA/healthz" 180
deadline=$((SECONDS + 120))
until (exec 3<>"/dev/tcp/127.0.0.1/$CPP") 2>/dev/null; do ((SECONDS < deadline)) || { echo "bench: no control plane" >&2; exit 1; }; sleep 0.2; done
cat > "$TMP/config.yaml" <<YAML
settings: {upstreamPolicy: {allowLoopback: true}, http2: {maxConcurrentStreams: 128}}
upstreams:
  - name: fixed
    targets: [{url: "http://127.0.0.1:$UP"}]
routes:
  - id: bench
    upstream: fixed
    match: {pathPrefix: /}
YAML
"$ROOT/bin/gatehouse" --server "127.0.0.1:$CPP" --timeout 60s apply -m "bench h2" "$TMP/config.yaml" >"$TMP/logs/apply.out" 2>&1 \
  || { cat "$TMP/logs/apply.out" >&2; exit 1; }
wait_http "http://127.0.0.1:$DP/" 60
deadline=$((SECONDS + 20))
until curl -fsS --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$NGX/" 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "bench: nginx h2c proxy did not answer" >&2; exit 1; }; sleep 0.2
done

h2() { # name url [h2load options] -> one result line
  h2load -D "$DURATION" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS" --warm-up-time=3 "${@:3}" "$2" >"$TMP/logs/${1//[^a-z0-9]/_}.h2load" 2>&1 || true
  python3 - "$1" "$TMP/logs/${1//[^a-z0-9]/_}.h2load" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", text)
lat = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", text)
status = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
if not rps:
    print(f"{name:28s} h2load failed: {text[-300:]!r}"); sys.exit()
print(f"{name:28s} {float(rps.group(1)):10.0f} req/s   request time min/max/mean {lat.group(1)}/{lat.group(2)}/{lat.group(3)}"
      f"   2xx={status.group(1)} 5xx={status.group(4)}")
PY
}
# JIT warm-up of the data plane (not measured): the JVM compiles its hot paths in the first seconds.
h2load -D 10 -c "$CLIENTS" -m "$STREAMS" -t "$THREADS" "http://127.0.0.1:$DP/" >/dev/null 2>&1 || true
echo "h2load -D ${DURATION}s -c $CLIENTS -m $STREAMS -t $THREADS (h2c prior knowledge), $(nproc) cores, $(date -u +%FT%TZ)"
h2 "nginx http2 proxy_pass" "http://127.0.0.1:$NGX/"
h2 "gatehouse h2c" "http://127.0.0.1:$DP/"
h2 "nginx http2 proxy_pass #2" "http://127.0.0.1:$NGX/"
h2 "gatehouse h2c #2" "http://127.0.0.1:$DP/"
# References on the same machine in the same run: HTTP/1.1 keep-alive (h2load --h1, one request in
# flight per connection) to Gatehouse and to the nginx upstream itself.
h2 "gatehouse-http1 (--h1)" "http://127.0.0.1:$DP/" --h1 -m 1
h2 "nginx-upstream-http1 (--h1)" "http://127.0.0.1:$UP/" --h1 -m 1
