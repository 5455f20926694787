#!/usr/bin/env bash
# Checks packaging/runtime-modules against what jdeps finds in the jars of the control plane, the data
# plane and the CLI (and their target/lib/). Prints the union and exits 1 when a module jdeps wants is
# missing from the file. Run it after a dependency upgrade; not part of build-debs.sh because jdeps
# takes 16-21 s per program on the 2-core shared VM (86 s for the three in parallel at load average 13,
# 2026-12-01), more than the whole package build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
JAVA_HOME=$("$root/scripts/find-jdk.sh")
listed=$(grep -v '^\s*#' "$root/packaging/runtime-modules" | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for m in control-plane data-plane admin-cli; do
  jar=""
  for f in "$root/$m/target/gatehouse-$m-"*.jar; do [[ $f == *-tests.jar ]] || jar=$f; done
  [[ -f $jar ]] || { echo "$m is not built: scripts/test.sh -DskipTests" >&2; exit 1; }
  # -R over the class path: the jars' own module-info would otherwise make jdeps resolve modules
  # (okhttp wants okio as a module) and give up.
  "$JAVA_HOME/bin/jdeps" -q --multi-release 21 --ignore-missing-deps --print-module-deps -R \
    --class-path "$root/$m/target/lib/*" "$jar" > "$tmp/$m" &
done
wait
found=$(cat "$tmp"/* | tr ',' '\n' | sed '/^$/d' | sort -u)
echo "jdeps: $(echo "$found" | tr '\n' ' ')"
missing=$(comm -23 <(echo "$found") <(echo "$listed"))
if [[ -n $missing ]]; then
  echo "missing from packaging/runtime-modules: $(echo "$missing" | tr '\n' ' ')" >&2
  exit 1
fi
echo "packaging/runtime-modules has every module jdeps found (and $(comm -13 <(echo "$found") <(echo "$listed") | tr '\n' ' ')for reflection and operators)"
