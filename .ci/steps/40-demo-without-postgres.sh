#!/usr/bin/env bash
# Issue 15, "a fresh machine needs only a JDK": the demo, with no PostgreSQL reachable where it looks
# for one (PGPORT points at a port nobody listens on, so the shared server is untouched), must fall
# back to the control plane's embedded PostgreSQL and pass end to end. It also must not leave the
# embedded server running.
set -euo pipefail
cd "$(dirname "$0")/../.."
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
echo "[demo-without-postgres] PGPORT=$closed_port (nothing listens there); output in $log"
if ! PGPORT=$closed_port scripts/demo.sh >"$log" 2>&1; then
  tail -60 "$log"; echo "[demo-without-postgres] the demo failed"; exit 1
fi
grep -q "No PostgreSQL answers at 127.0.0.1:$closed_port: the control plane runs its embedded one" "$log" \
  || { tail -60 "$log"; echo "[demo-without-postgres] the demo did not use the embedded PostgreSQL"; exit 1; }
grep -q "embedded PostgreSQL in .* on 127.0.0.1:" demo-work/control-plane.log \
  || { echo "[demo-without-postgres] the control plane did not report its embedded PostgreSQL"; exit 1; }
if pgrep -f "demo-postgres/data" >/dev/null; then
  echo "[demo-without-postgres] the embedded PostgreSQL is still running after the demo"; pgrep -af "demo-postgres/data"; exit 1
fi
echo "[demo-without-postgres] passed: demo ran on the embedded PostgreSQL, which stopped with it"
