#!/usr/bin/env bash
# CI step: the Debian packages, as a user gets them. Builds them (packaging/build-debs.sh), installs them
# with dpkg -i into this machine, runs the control plane and the data plane the way their systemd units
# say (no systemd here: the unit files are parsed for User=, Group=, Environment=, EnvironmentFile=,
# ExecStart=, StateDirectory=, UMask=, NoNewPrivileges=, CapabilityBoundingSet=, and the process is
# started exactly so), sets them up with the installed `gatehouse` (PKI, KEK, bootstrap token, config),
# proxies a request to a local upstream, restarts the data plane without the control plane (it must
# serve its last-known-good snapshot from the StateDirectory), then purges the packages and checks that
# nothing of them is left. Uses its own database gatehouse_debtest on the shared PostgreSQL and ports
# 17201-17205. Idempotent: a previous failed run's packages, files and processes are cleaned up first.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
log() { printf '[30-debs +%3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { printf '[30-debs] FAIL: %s\n' "$*" >&2; exit 1; }

packages=(gatehouse-cli gatehouse-data-plane gatehouse-control-plane gatehouse-runtime)
db=gatehouse_debtest
cp_port=17201 cp_http_port=17202 dp_port=17203 dp_admin_port=17204 upstream_port=17205
pidfile=/tmp/gatehouse-debtest.pids           # processes this step started (for a later run's clean-up)
marker=/etc/gatehouse/.gatehouse-debtest      # says /etc/gatehouse holds only this step's files
psql_() { PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAtc "$1"; }

# --- tools ------------------------------------------------------------------------------------------
need=()
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v setpriv >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
command -v psql >/dev/null || need+=(postgresql-client)
command -v adduser >/dev/null || need+=(adduser)
if (( ${#need[@]} )); then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[[ $(id -u) == 0 ]] || fail "needs root (dpkg -i, service users)"

# --- clean-up: also what a previous failed run left -------------------------------------------------
kill_ours() { # only processes whose pid this step recorded, and only if they still are what it started
  local pid
  [[ -f $pidfile ]] || return 0
  while read -r pid; do
    [[ -n $pid ]] || continue
    if grep -qaE 'gatehouse|http\.server' "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < "$pidfile"
  rm -f "$pidfile"
}
purge_packages() {
  local installed=()
  for p in "${packages[@]}"; do
    if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then installed+=("$p"); fi
  done
  if (( ${#installed[@]} )); then dpkg --purge "${installed[@]}" >/dev/null; fi
}
clean_etc() {
  if [[ -d /etc/gatehouse ]]; then
    [[ -f $marker ]] || fail "/etc/gatehouse exists and was not made by this step: a real installation? not touching it"
    rm -rf /etc/gatehouse
  fi
}
cleanup() {
  local rc=$?
  kill_ours
  if (( rc != 0 )); then
    log "failed; logs:"
    for f in "${tmp:-/nonexistent}"/*.log; do [[ -f $f ]] && { echo "--- $f"; tail -n 40 "$f"; }; done
    # Purge first so that no package claims what clean_etc removes.
    purge_packages || true
    [[ -f $marker ]] && rm -rf /etc/gatehouse
  fi
  psql_ "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
  [[ -n ${tmp:-} ]] && rm -rf "$tmp"
  exit "$rc"
}
kill_ours
[[ ! -d /etc/gatehouse || -f $marker ]] || fail "/etc/gatehouse exists and was not made by this step; not touching it"
purge_packages
clean_etc
for port in $cp_port $cp_http_port $dp_port $dp_admin_port $upstream_port; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then fail "port $port is in use"; fi
done
tmp=$(mktemp -d /tmp/gatehouse-debtest.XXXXXX)
trap cleanup EXIT

# --- build and install ------------------------------------------------------------------------------
t=$SECONDS
packaging/build-debs.sh
log "built in $((SECONDS - t)) s"
t=$SECONDS
debs=(packaging/target/gatehouse-*.deb)
(( ${#debs[@]} == 4 )) || fail "expected 4 packages, found ${#debs[@]}"
dpkg -i "${debs[@]}" > "$tmp/dpkg-install.log" 2>&1 || { cat "$tmp/dpkg-install.log"; fail "dpkg -i"; }
touch "$marker"
log "installed in $((SECONDS - t)) s"

for f in /usr/bin/gatehouse /usr/bin/gatehouse-control-plane /usr/bin/gatehouse-data-plane \
         /usr/lib/systemd/system/gatehouse-control-plane.service /usr/lib/systemd/system/gatehouse-data-plane.service \
         /usr/share/bash-completion/completions/gatehouse /usr/lib/gatehouse/runtime/bin/java; do
  [[ -e $f ]] || fail "$f not installed"
done
for s in control-plane data-plane; do
  dpkg-query -W -f='${Conffiles}\n' "gatehouse-$s" | grep -q "/etc/gatehouse/$s.env" || fail "$s.env is not a conffile"
done
for u in gatehouse-cp gatehouse-dp; do getent passwd "$u" >/dev/null || fail "user $u not created"; done
[[ $(stat -c '%U:%G %a' /etc/gatehouse/control-plane) == "root:gatehouse-cp 750" ]] || fail "/etc/gatehouse/control-plane: $(stat -c '%U:%G %a' /etc/gatehouse/control-plane)"
[[ $(stat -c '%U:%G %a' /etc/gatehouse/data-plane.env) == "root:gatehouse-dp 640" ]] || fail "data-plane.env: $(stat -c '%U:%G %a' /etc/gatehouse/data-plane.env)"
bash -c 'source /usr/share/bash-completion/completions/gatehouse && complete -p gatehouse' | grep -q 'gatehouse$' \
  || fail "bash completion does not register for gatehouse"
if command -v systemd-analyze >/dev/null; then
  # Works without a running systemd: unknown or misspelt settings, a missing ExecStart binary, bad users.
  for s in control-plane data-plane; do
    out=$(systemd-analyze verify --man=no "/usr/lib/systemd/system/gatehouse-$s.service" 2>&1) \
      || fail "systemd-analyze verify gatehouse-$s.service: $out"
    [[ -z $out ]] || fail "systemd-analyze verify gatehouse-$s.service: $out"
    log "gatehouse-$s.service: $(systemd-analyze security --offline=yes "/usr/lib/systemd/system/gatehouse-$s.service" 2>/dev/null | tail -1 | sed 's/^→ //')"
  done
fi
log "files, conffiles, users, modes, completion: ok"

# --- PKI, KEK, bootstrap token with the installed CLI (as an operator would) -------------------------
pki=$tmp/pki
gh() { gatehouse --pki-dir "$pki" "$@"; }
gh certs init > "$tmp/cli.log"
# Independent of each other: in parallel (each is a JVM start, ~1-3 s here).
gh certs issue control-plane --dns localhost --ip 127.0.0.1 --out "$pki/cp.pem" > "$tmp/cli-cp.log" & p1=$!
gh certs issue data-plane --node dp-deb-1 --region deb --out "$pki/dp.pem" > "$tmp/cli-dp.log" & p2=$!
gh kek create "$tmp/kek.json" > "$tmp/cli-kek.log" & p3=$!
gh tokens generate > "$tmp/bootstrap.token" & p4=$!
for p in $p1 $p2 $p3 $p4; do wait "$p" || fail "creating the PKI, KEK or token failed (see $tmp/cli-*.log)"; done
log "PKI, KEK and bootstrap token made with the installed CLI"
# Secrets go where the env files point, 0640 root:<service group>.
for f in cp.pem:tls.pem cp-key.pem:tls-key.pem ca.pem:ca.pem; do
  install -m 0640 -o root -g gatehouse-cp "$pki/${f%%:*}" "/etc/gatehouse/control-plane/${f##*:}"
done
install -m 0640 -o root -g gatehouse-cp "$tmp/kek.json" /etc/gatehouse/control-plane/kek.json
install -m 0640 -o root -g gatehouse-cp "$tmp/bootstrap.token" /etc/gatehouse/control-plane/bootstrap.token
for f in dp.pem:tls.pem dp-key.pem:tls-key.pem ca.pem:ca.pem; do
  install -m 0640 -o root -g gatehouse-dp "$pki/${f%%:*}" "/etc/gatehouse/data-plane/${f##*:}"
done

# The operator's edits to the conffiles: this machine's database and this step's ports.
set_env() { # FILE KEY VALUE: replace KEY=... (or #KEY=...), else append
  local file=$1 key=$2 value=$3
  if grep -qE "^#?$key=" "$file"; then sed -i -E "s|^#?$key=.*|$key=$value|" "$file"; else echo "$key=$value" >> "$file"; fi
}
cpenv=/etc/gatehouse/control-plane.env dpenv=/etc/gatehouse/data-plane.env
set_env $cpenv GATEHOUSE_DB_URL "jdbc:postgresql://127.0.0.1:5432/$db"
set_env $cpenv GATEHOUSE_DB_USER postgres
set_env $cpenv GATEHOUSE_CP_BIND 127.0.0.1
set_env $cpenv GATEHOUSE_CP_PORT $cp_port
set_env $cpenv GATEHOUSE_CP_HTTP_PORT $cp_http_port
set_env $cpenv GATEHOUSE_REPLICA_ID cp-debtest
set_env $dpenv GATEHOUSE_CP_ADDRESS localhost:$cp_port
set_env $dpenv GATEHOUSE_BIND 127.0.0.1
set_env $dpenv GATEHOUSE_PORT $dp_port
set_env $dpenv GATEHOUSE_ADMIN_PORT $dp_admin_port
set_env $dpenv GATEHOUSE_JAVA_OPTS "-XX:+UseParallelGC -XX:NewRatio=1 -Xmx256m"

psql_ "DROP DATABASE IF EXISTS $db WITH (FORCE)"
psql_ "CREATE DATABASE $db"

# --- start a service the way its unit says ----------------------------------------------------------
unit_values() { # UNIT KEY: every value of KEY= in the [Service] section, one per line
  sed -n '/^\[Service\]/,/^\[/p' "$1" | sed -n "s/^$2=//p"
}
env_file_lines() { # FILE: KEY=VALUE lines as systemd reads them (comments, blank lines, one pair of quotes)
  local line key value
  while IFS= read -r line || [[ -n $line ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z $line || $line == \#* || $line == \;* ]] && continue
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || fail "$1: cannot parse '$line'"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    value="${value%"${value##*[![:space:]]}"}"
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    printf '%s=%s\n' "$key" "$value"
  done < "$1"
}
start_unit() { # SERVICE: runs ExecStart in the background as the unit would; pid in started_pid
  local service=$1 unit=/usr/lib/systemd/system/gatehouse-$1.service
  local user group exec_start state_dir state_mode cache_dir umask_ cbs nnp home envs=() f line
  user=$(unit_values "$unit" User) group=$(unit_values "$unit" Group)
  exec_start=$(unit_values "$unit" ExecStart) umask_=$(unit_values "$unit" UMask)
  state_dir=$(unit_values "$unit" StateDirectory) state_mode=$(unit_values "$unit" StateDirectoryMode)
  cbs=$(unit_values "$unit" CapabilityBoundingSet) nnp=$(unit_values "$unit" NoNewPrivileges)
  [[ -n $user && -n $group && $exec_start == /* ]] || fail "$unit: User=, Group= and an absolute ExecStart= expected"
  [[ $(unit_values "$unit" ExecStart | wc -l) == 1 ]] || fail "$unit: one ExecStart= expected"
  home=$(getent passwd "$user" | cut -d: -f6)
  # What systemd puts in a service's environment, then Environment=, then EnvironmentFile= (which wins).
  envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "USER=$user" "LOGNAME=$user"
        "HOME=$home" SHELL=/usr/sbin/nologin LANG=C.UTF-8)
  if [[ -n $state_dir ]]; then
    # StateDirectory=: systemd creates /var/lib/<dir> owned by the user, with StateDirectoryMode.
    install -d -m "${state_mode:-0755}" -o "$user" -g "$group" "/var/lib/$state_dir"
    envs+=("STATE_DIRECTORY=/var/lib/$state_dir")
  fi
  cache_dir=$(unit_values "$unit" CacheDirectory)
  if [[ -n $cache_dir ]]; then
    # CacheDirectory=: /var/cache/<dir> owned by the user, 0755 (CacheDirectoryMode's default).
    install -d -m 0755 -o "$user" -g "$group" "/var/cache/$cache_dir"
    envs+=("CACHE_DIRECTORY=/var/cache/$cache_dir")
  fi
  while IFS= read -r line; do [[ -n $line ]] && envs+=("$line"); done < <(unit_values "$unit" Environment)
  while IFS= read -r f; do
    [[ -n $f ]] || continue
    if [[ $f == -* ]]; then f=${f#-}; [[ -f $f ]] || continue; fi
    while IFS= read -r line; do envs+=("$line"); done < <(env_file_lines "$f")
  done < <(unit_values "$unit" EnvironmentFile)
  local priv=(setpriv "--reuid=$user" "--regid=$group" --init-groups)
  [[ $nnp == yes ]] && priv+=(--no-new-privs)
  # CapabilityBoundingSet= (empty): no capability can ever be gained; setpriv drops them the same way.
  [[ -z $cbs ]] && priv+=(--bounding-set=-all --inh-caps=-all)
  # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does for a line without quotes
  env -i "${envs[@]}" "${priv[@]}" -- /bin/sh -c 'umask "$0"; exec "$@"' "${umask_:-0022}" $exec_start \
    > "$tmp/$service.log" 2>&1 &
  started_pid=$!
  echo "$started_pid" >> "$pidfile"
  log "started $service as $user (pid $started_pid): $exec_start"
}
stop_unit() { # SERVICE PID: SIGTERM, as systemctl stop; the exit status must be one the unit calls success
  local service=$1 pid=$2 rc=0 ok
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  ok=$(unit_values "/usr/lib/systemd/system/gatehouse-$service.service" SuccessExitStatus)
  [[ $rc == 0 || " $ok " == *" $rc "* ]] || fail "$service exited $rc on SIGTERM (SuccessExitStatus=$ok)"
  log "stopped $service (exit $rc)"
}
wait_port() { # PORT SECONDS PID
  local deadline=$((SECONDS + $2))
  until (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || fail "process $3 exited before listening on $1"
    (( SECONDS < deadline )) || fail "nothing listens on $1 after $2 s"
    sleep 0.2
  done
}

# --- the upstream -----------------------------------------------------------------------------------
mkdir -p "$tmp/www"
nonce="debtest-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "$nonce" > "$tmp/www/hello.txt"
python3 -m http.server "$upstream_port" --bind 127.0.0.1 --directory "$tmp/www" > "$tmp/upstream.log" 2>&1 &
echo $! >> "$pidfile"

t=$SECONDS
start_unit control-plane; cp_pid=$started_pid
wait_port $cp_port 60 "$cp_pid"
[[ $(ps -o user= -p "$cp_pid") == gatehouse-cp ]] || fail "control plane does not run as gatehouse-cp"
log "control plane listening after $((SECONDS - t)) s"

# The data plane starts now and gets the config when it is applied: its JVM start and the CLI's overlap.
t=$SECONDS
start_unit data-plane; dp_pid=$started_pid

# As the bootstrap token (GATEHOUSE_BOOTSTRAP_TOKEN_FILE made it an admin token on the empty database).
export GATEHOUSE_TOKEN_FILE=$tmp/bootstrap.token
cli=(gatehouse --pki-dir "$pki" --server "localhost:$cp_port")
cat > "$tmp/gateway.yaml" <<EOF
settings:
  upstreamPolicy:
    allowLoopback: true   # the test upstream runs on this machine
upstreams:
  - name: files
    targets:
      - url: http://127.0.0.1:$upstream_port
routes:
  - id: files
    match:
      pathPrefix: /
    upstream: files
EOF
"${cli[@]}" apply "$tmp/gateway.yaml" -m "debian package test" | tee -a "$tmp/cli.log" | grep -q 'applied version 1' \
  || fail "apply did not make version 1"

proxy_until() { # BODY SECONDS: GET /hello.txt through the data plane until it answers BODY
  local deadline=$((SECONDS + $2)) body
  while :; do
    body=$(curl -s --max-time 2 "http://127.0.0.1:$dp_port/hello.txt" || true)
    [[ $body == "$1" ]] && return 0
    kill -0 "$dp_pid" 2>/dev/null || fail "data plane exited"
    (( SECONDS < deadline )) || fail "data plane answered '${body:0:200}', expected '$1'"
    sleep 0.2
  done
}
proxy_until "$nonce" 60
[[ $(ps -o user= -p "$dp_pid") == gatehouse-dp ]] || fail "data plane does not run as gatehouse-dp"
log "request proxied through the installed data plane $((SECONDS - t)) s after its start (apply included)"
"${cli[@]}" dataplanes | tee -a "$tmp/cli.log" | grep -qE 'dp-deb-1 +deb +yes +1 ' || fail "control plane does not list dp-deb-1 at version 1"

# The state directory the unit names holds the snapshot, private to the data plane's user.
lkg=/var/lib/gatehouse/data-plane/last-known-good.pb
[[ $(stat -c '%U %a' /var/lib/gatehouse/data-plane) == "gatehouse-dp 700" ]] || fail "state directory: $(stat -c '%U %a' /var/lib/gatehouse/data-plane)"
[[ -f $lkg && $(stat -c '%U %a' "$lkg") == "gatehouse-dp 600" ]] || fail "$lkg missing or not gatehouse-dp 0600"
# One service user cannot read the other's secrets.
if setpriv --reuid=gatehouse-dp --regid=gatehouse-dp --init-groups cat /etc/gatehouse/control-plane/kek.json >/dev/null 2>&1; then
  fail "gatehouse-dp can read the control plane's KEK"
fi

# Restart without the control plane: served from the StateDirectory's last-known-good snapshot.
stop_unit data-plane "$dp_pid"
stop_unit control-plane "$cp_pid"
# The clean stop wrote the class-data-sharing archive the unit names, as the service user.
cds=/var/cache/gatehouse/data-plane/classes.jsa
[[ -s $cds && $(stat -c '%U' "$cds") == gatehouse-dp ]] || fail "no class-data-sharing archive at $cds after a clean stop"
t=$SECONDS
start_unit data-plane; dp_pid=$started_pid
proxy_until "$nonce" 60
log "restarted data plane serving $((SECONDS - t)) s after its start"
grep -q "$cds" "/proc/$dp_pid/maps" || fail "the restarted data plane did not map $cds"
log "the restart mapped the class-data-sharing archive the first run wrote"
curl -s "http://127.0.0.1:$dp_admin_port/config" | grep -q '"source":"disk"' || fail "/config does not say source disk"
log "data plane restarted without a control plane serves its last-known-good snapshot"
stop_unit data-plane "$dp_pid"
kill_ours

# --- upgrade and remove ------------------------------------------------------------------------------
# Installing the same packages again runs the upgrade branches of the maintainer scripts (prerm upgrade,
# postrm upgrade, postinst configure OLD-VERSION). The operator's edits of the env files and the modes
# of everything in /etc/gatehouse must survive. --force-confold: what an unattended upgrade does with a
# changed conffile (there is none here; it only keeps dpkg from waiting for an answer).
dpkg -i --force-confold "${debs[@]}" > "$tmp/dpkg-upgrade.log" 2>&1 </dev/null || { cat "$tmp/dpkg-upgrade.log"; fail "dpkg -i over the installed packages"; }
grep -q "^GATEHOUSE_CP_PORT=$cp_port$" $cpenv || fail "the upgrade lost the edit of $cpenv"
grep -q "^GATEHOUSE_PORT=$dp_port$" $dpenv || fail "the upgrade lost the edit of $dpenv"
[[ $(stat -c '%U:%G %a' $cpenv) == "root:gatehouse-cp 640" ]] || fail "$cpenv after upgrade: $(stat -c '%U:%G %a' $cpenv)"
[[ $(stat -c '%U:%G %a' /etc/gatehouse/control-plane/kek.json) == "root:gatehouse-cp 640" ]] || fail "kek.json mode changed"
# remove (not purge) keeps settings, operator files and the data plane's state; the programs go.
dpkg -r gatehouse-data-plane gatehouse-control-plane > "$tmp/dpkg-remove.log" 2>&1 || { cat "$tmp/dpkg-remove.log"; fail "dpkg -r"; }
[[ ! -e /usr/bin/gatehouse-data-plane && ! -e /usr/lib/systemd/system/gatehouse-data-plane.service ]] || fail "dpkg -r left the data plane's program or unit"
[[ -f $cpenv && -f $dpenv && -f /etc/gatehouse/control-plane/kek.json && -f $lkg ]] || fail "dpkg -r removed settings, keys or state"
log "reinstall (upgrade scripts) kept the edited env files and modes; remove kept settings, keys and state"

# --- purge: nothing of the packages left ------------------------------------------------------------
t=$SECONDS
dpkg --purge "${packages[@]}" > "$tmp/dpkg-purge.log" 2>&1 || { cat "$tmp/dpkg-purge.log"; fail "dpkg --purge"; }
log "purged in $((SECONDS - t)) s"
for f in /usr/lib/gatehouse /var/lib/gatehouse /var/cache/gatehouse /usr/bin/gatehouse /usr/bin/gatehouse-control-plane \
         /usr/bin/gatehouse-data-plane /usr/lib/systemd/system/gatehouse-control-plane.service \
         /usr/lib/systemd/system/gatehouse-data-plane.service /usr/share/bash-completion/completions/gatehouse \
         /usr/share/doc/gatehouse-cli /etc/gatehouse/control-plane.env /etc/gatehouse/data-plane.env /opt/gatehouse; do
  [[ ! -e $f ]] || fail "$f is left after purge"
done
# What remains in /etc/gatehouse is exactly what this step put there (operator files are never purged).
left=$(cd /etc/gatehouse && find . -mindepth 1 -type f | sort | tr '\n' ' ')
expected="./.gatehouse-debtest ./control-plane/bootstrap.token ./control-plane/ca.pem ./control-plane/kek.json ./control-plane/tls-key.pem ./control-plane/tls.pem ./data-plane/ca.pem ./data-plane/tls-key.pem ./data-plane/tls.pem "
[[ $left == "$expected" ]] || fail "left in /etc/gatehouse after purge: $left"
rm -rf /etc/gatehouse
if pgrep -u gatehouse-cp >/dev/null || pgrep -u gatehouse-dp >/dev/null; then fail "a process of the service users still runs"; fi
log "purge left nothing but the operator's own files (removed now); the service users stay, as Debian does"
log "passed in $((SECONDS - started)) s"
