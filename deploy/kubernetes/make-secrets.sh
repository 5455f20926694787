#!/usr/bin/env bash
# Makes the mutual-TLS Secrets deploy/kubernetes/gatehouse.yaml mounts, with the CLI's CA:
#   gatehouse-cp-tls     the control plane (both replicas): the Service's DNS names, plus localhost
#                        for `kubectl port-forward`
#   gatehouse-dp-us-tls  data planes of region us: spiffe://gatehouse/dp/us (any node id: pod names)
#   gatehouse-dp-eu-tls  data planes of region eu
# each with keys tls.crt, tls.key and ca.crt; and an admin certificate for you (once). Created once
# and then left alone (so never a second KEK or bootstrap token by accident):
#   gatehouse-kek           kek.json: the key-encryption key of secrets (a copy stays in PKI_DIR, 0600:
#                           back it up; without it the stored secrets cannot be read)
#   gatehouse-bootstrap     token: made an admin token on the control plane's first start; a copy
#                           stays in PKI_DIR/k8s-bootstrap.token for your CLI (GATEHOUSE_TOKEN_FILE)
#   gatehouse-db-password   password (from $GATEHOUSE_DB_PASSWORD_FILE) and ca.crt (from $GATEHOUSE_DB_CA,
#                           the PostgreSQL server's CA, for sslmode=verify-full)
#   gatehouse-redis         password (from $GATEHOUSE_REDIS_PASSWORD_FILE) and ca.crt ($GATEHOUSE_REDIS_CA)
#
#   deploy/kubernetes/make-secrets.sh [PKI_DIR]     # default $GATEHOUSE_PKI_DIR, else ~/.gatehouse/pki
#
# The CA is created in PKI_DIR on first run and stays there (its key never enters the cluster).
# Running the script again rotates the three Secrets (new keys, 90 days); the pods pick the files up
# when the kubelet refreshes the mounted Secrets, without a restart. GATEHOUSE_NAMESPACE (default
# gatehouse) selects the namespace. Needs the CLI built (scripts/test.sh -DskipTests) and kubectl.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pki=${1:-${GATEHOUSE_PKI_DIR:-$HOME/.gatehouse/pki}}
ns=${GATEHOUSE_NAMESPACE:-gatehouse}
gh() { "$root/bin/gatehouse" --pki-dir "$pki" "$@"; }

[[ -f "$pki/ca.pem" ]] || gh certs init
gh certs issue control-plane --dns control-plane --dns "control-plane.$ns" --dns "control-plane.$ns.svc" \
  --dns "control-plane.$ns.svc.cluster.local" --dns localhost --ip 127.0.0.1 --out "$pki/k8s-control-plane.pem"
for region in us eu; do
  gh certs issue data-plane --any-node --region "$region" --out "$pki/k8s-dp-$region.pem"
done
compgen -G "$pki/admin-*.pem" >/dev/null || gh certs issue admin --name "${USER:-admin}"

secret() { # NAME CERT_BASE: tls.crt, tls.key, ca.crt
  kubectl -n "$ns" create secret generic "$1" --from-file=tls.crt="$2.pem" --from-file=tls.key="$2-key.pem" \
    --from-file=ca.crt="$pki/ca.pem" --dry-run=client -o yaml | kubectl apply -f -
}
if ! command -v kubectl >/dev/null; then
  echo "kubectl not found; the files are in $pki (k8s-*.pem). Create the Secrets with, e.g.:" >&2
  echo "  kubectl -n $ns create secret generic gatehouse-cp-tls --from-file=tls.crt=$pki/k8s-control-plane.pem \\" >&2
  echo "    --from-file=tls.key=$pki/k8s-control-plane-key.pem --from-file=ca.crt=$pki/ca.pem" >&2
  exit 1
fi
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
once() { # NAME --from-file=... : create the Secret unless it exists
  local name=$1; shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name exists; left as it is"
  else
    kubectl -n "$ns" create secret generic "$name" "$@"
  fi
}
(umask 077
 [[ -f "$pki/k8s-kek.json" ]] || gh kek create "$pki/k8s-kek.json"
 [[ -f "$pki/k8s-bootstrap.token" ]] || gh tokens generate > "$pki/k8s-bootstrap.token")
once gatehouse-kek --from-file=kek.json="$pki/k8s-kek.json"
once gatehouse-bootstrap --from-file=token="$pki/k8s-bootstrap.token"
[[ -n "${GATEHOUSE_DB_PASSWORD_FILE:-}" && -n "${GATEHOUSE_DB_CA:-}" ]] \
  && once gatehouse-db-password --from-file=password="$GATEHOUSE_DB_PASSWORD_FILE" --from-file=ca.crt="$GATEHOUSE_DB_CA" \
  || echo "set GATEHOUSE_DB_PASSWORD_FILE and GATEHOUSE_DB_CA to create gatehouse-db-password" >&2
[[ -n "${GATEHOUSE_REDIS_PASSWORD_FILE:-}" && -n "${GATEHOUSE_REDIS_CA:-}" ]] \
  && once gatehouse-redis --from-file=password="$GATEHOUSE_REDIS_PASSWORD_FILE" --from-file=ca.crt="$GATEHOUSE_REDIS_CA" \
  || echo "set GATEHOUSE_REDIS_PASSWORD_FILE and GATEHOUSE_REDIS_CA to create gatehouse-redis" >&2
secret gatehouse-cp-tls "$pki/k8s-control-plane"
secret gatehouse-dp-us-tls "$pki/k8s-dp-us"
secret gatehouse-dp-eu-tls "$pki/k8s-dp-eu"
echo "admin API: kubectl -n $ns port-forward svc/control-plane 7070 &  then"
echo "  GATEHOUSE_PKI_DIR=$pki GATEHOUSE_TOKEN_FILE=$pki/k8s-bootstrap.token bin/gatehouse tokens create --name \$USER --role admin"
