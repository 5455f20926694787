#!/usr/bin/env bash
# CI step: the compose stack and its monitoring configs are valid, without a Docker engine.
#   1. docker-compose (Debian's 1.29, installed when missing) parses and resolves
#      deploy/docker/compose.yaml (`config -q`: schema, anchors, merges, depends_on conditions).
#   2. promtool checks every Prometheus config in deploy/prometheus (scrape jobs, relabelling, the
#      rule files they load) and the alert rules, and runs the rules' unit tests (deploy/prometheus/tests). promtool stats every credentials_file, so the step
#      points the configs at a throwaway token file in a temp copy (never a real token).
# Whether the metric names and scrape targets match what the components export is checked against
# live processes by system-tests' DeployArtifactsTest (in scripts/test.sh).
# Idempotent, starts no process; ~2 s on a quiet machine once the packages are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '[20-compose] %s\n' "$*"; }

need() { # command debian-package
  command -v "$1" >/dev/null 2>&1 && return
  log "installing $2"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need docker-compose docker-compose
need promtool prometheus
# The prometheus package may start a server we do not want; only promtool is used (its pid, not a name).
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log "docker-compose $(docker-compose version --short): config -q deploy/docker/compose.yaml"
# No engine is contacted by `config`; DOCKER_HOST points nowhere so a stray daemon is never used.
DOCKER_HOST=unix://"$tmp"/no-docker.sock docker-compose -f deploy/docker/compose.yaml config -q
# The resolved file names every service the Prometheus config scrapes (a quick cross-check; the
# system test checks ports and images too).
services=$(DOCKER_HOST=unix://"$tmp"/no-docker.sock docker-compose -f deploy/docker/compose.yaml config --services)
for service in control-plane dp-us dp-eu prometheus grafana jaeger metrics-token pki; do
  grep -qx "$service" <<<"$services" || { log "compose has no service $service"; exit 1; }
done
log "services: $(tr '\n' ' ' <<<"$services")"

log "$(promtool --version 2>&1 | head -1)"
log "promtool check rules deploy/prometheus/rules/*.yml"
promtool check rules deploy/prometheus/rules/*.yml
log "promtool test rules deploy/prometheus/tests/*.test.yml (the alerts fire on the series they should)"
promtool test rules deploy/prometheus/tests/*.test.yml

# Each config, copied with its rules next to it and its credentials_file pointed at a dummy token.
printf 'ght_0000000000000000_not-a-real-token-only-for-promtool-check\n' > "$tmp/token"
for config in deploy/prometheus/*.yml; do
  name=$(basename "$config")
  mkdir -p "$tmp/$name.d"
  cp -r deploy/prometheus/rules "$tmp/$name.d/rules"
  # rule_files: absolute compose paths (/etc/prometheus/rules) become the copy's relative ones.
  sed -e "s#credentials_file: .*#credentials_file: $tmp/token#" \
      -e "s#- /etc/prometheus/rules/#- rules/#" "$config" > "$tmp/$name.d/$name"
  grep -q 'credentials_file' "$config" || { log "$config: no credentials_file for the control plane job"; exit 1; }
  log "promtool check config $config"
  if ! promtool check config "$tmp/$name.d/$name" >"$tmp/out" 2>&1; then
    cat "$tmp/out"
    # Debian builds Prometheus without Kubernetes discovery. Check everything else of the file (the
    # relabelling, auth, rule files) with each kubernetes_sd_configs swapped for a static target.
    grep -q 'field kubernetes_sd_configs not found' "$tmp/out" || exit 1
    log "this promtool has no Kubernetes discovery: checking $config with static targets instead"
    python3 - "$tmp/$name.d/$name" <<'PY'
import sys, yaml
path = sys.argv[1]
config = yaml.safe_load(open(path))
for job in config["scrape_configs"]:
    if job.pop("kubernetes_sd_configs", None) is not None:
        job["static_configs"] = [{"targets": ["pod.invalid:1"]}]
yaml.safe_dump(config, open(path, "w"))
PY
    promtool check config "$tmp/$name.d/$name"
  else
    cat "$tmp/out"
  fi
done
log "compose and Prometheus configs valid"
