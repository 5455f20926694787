#!/usr/bin/env bash
# Prints the home of a JDK >= 21: $JAVA_HOME when it qualifies, else the newest under /usr/lib/jvm.
# Sourced or run; exits 1 with a message on stderr when none is found.
# `find-jdk.sh --major HOME` prints that JDK's major version instead (no JVM started when it has a
# `release` file), so the scripts that need it (MAVEN_OPTS on 24+) ask here, one way for all.
set -euo pipefail

# The major version from the JDK's `release` file (JAVA_VERSION="25.0.3"): starting a JVM per candidate
# to ask it cost bin/gatehouse 2-3 JVM starts per command. Asks the JVM only when there is no such file.
jdk_major() {
  local home=$1 v=""
  [[ -x "$home/bin/javac" ]] || return 1
  if [[ -r "$home/release" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [[ -z "$v" ]]; then
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  fi
  [[ -n "$v" ]] || return 1
  echo "${v%%.*}"
}

pick() {
  local best="" best_major=0 home major
  for home in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$home" && -d "$home" ]] || continue
    major=$(jdk_major "$home") || continue
    if [[ -n "${JAVA_HOME:-}" && "$home" == "$JAVA_HOME" && $major -ge 21 ]]; then
      echo "$home"; return 0
    fi
    if (( major >= 21 && major > best_major )); then best=$home; best_major=$major; fi
  done
  [[ -n "$best" ]] && { echo "$best"; return 0; }
  return 1
}

if [[ "${1:-}" == "--major" ]]; then
  jdk_major "${2:?usage: find-jdk.sh --major JAVA_HOME}" || { echo "not a JDK: $2" >&2; exit 1; }
  exit 0
fi

if ! pick; then
  echo "no JDK >= 21 found (checked JAVA_HOME and /usr/lib/jvm); install one or set JAVA_HOME" >&2
  exit 1
fi
