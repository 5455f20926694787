#!/usr/bin/env bash
# Builds the Debian packages into packaging/target/:
#   gatehouse-runtime        a jlink'ed Java runtime in /usr/lib/gatehouse/runtime (shared by the three below)
#   gatehouse-control-plane  the control plane, /usr/bin/gatehouse-control-plane, a systemd unit, /etc/gatehouse/control-plane.env
#   gatehouse-data-plane     the data plane, /usr/bin/gatehouse-data-plane, a systemd unit, /etc/gatehouse/data-plane.env
#   gatehouse-cli            /usr/bin/gatehouse and its bash completion
# from the jars `scripts/test.sh` (mvn verify/package) leaves in <module>/target/ (built here when missing).
# Why jlink + dpkg-deb and not jpackage, and the layout: packaging/README.md.
#
# Environment:
#   GATEHOUSE_DEB_COMPRESSION  dpkg-deb compressor and level, default "zstd:9" (fast; needs dpkg >= 1.21.18 on
#                              the installing machine, i.e. Debian 12 / Ubuntu 22.04 or newer); "xz:6" for the
#                              smallest packages and older dpkg (about 2.5 minutes on 2 cores)
#   GATEHOUSE_DEB_REBUILD=1    build the jars again even when they exist
#   GATEHOUSE_JLINK_CACHE      where the jlink image is kept between builds (default ~/.cache/gatehouse/jlink-runtime;
#                              keyed by the JDK, the module list and the jlink options)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg_dir="$root/packaging"
out="$pkg_dir/target"
work="$out/build"
log() { printf '[build-debs] %s\n' "$*"; }
die() { printf '[build-debs] error: %s\n' "$*" >&2; exit 1; }

started=$SECONDS
JAVA_HOME=$("$root/scripts/find-jdk.sh")
export JAVA_HOME
for tool in jlink java; do [[ -x "$JAVA_HOME/bin/$tool" ]] || die "$JAVA_HOME has no bin/$tool (need a full JDK >= 21)"; done
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian package dpkg)"
java_major=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
  | awk -F'= ' '/java.specification.version/ {print $2; exit}')
java_major=${java_major%%.*}

# --- the jars ---------------------------------------------------------------------------------------
modules=(control-plane data-plane admin-cli)
app_jar() { # the module's main jar (not -tests/-sources); empty when not built
  local m=$1 f
  for f in "$root/$m/target/gatehouse-$m-"*.jar; do
    [[ -f "$f" && "$f" != *-tests.jar && "$f" != *-sources.jar ]] && { echo "$f"; return; }
  done
}
missing=0
for m in "${modules[@]}"; do
  [[ -n "$(app_jar "$m")" && -d "$root/$m/target/lib" ]] || missing=1
done
if (( missing )) || [[ "${GATEHOUSE_DEB_REBUILD:-}" == 1 ]]; then
  log "building the jars (scripts/test.sh -DskipTests)"
  # shellcheck disable=SC2054 # commas belong to the -pl value
  mvn_args=(-q -DskipTests -pl control-plane,data-plane,admin-cli -am)
  # Offline first (the shared machine's ~/.m2 usually has everything); online only when that fails.
  "$root/scripts/test.sh" -o "${mvn_args[@]}" || "$root/scripts/test.sh" "${mvn_args[@]}"
fi
cli_jar=$(app_jar admin-cli)
maven_version=$(basename "$cli_jar" .jar); maven_version=${maven_version#gatehouse-admin-cli-}
[[ "$maven_version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "unexpected version '$maven_version' in $cli_jar"
for m in "${modules[@]}"; do
  [[ "$(app_jar "$m")" == */gatehouse-$m-$maven_version.jar ]] || die "$m is not at version $maven_version: $(app_jar "$m")"
done

# Debian version: 0.1.0-SNAPSHOT becomes 0.1.0~snapshot.<commit time>.g<sha> ("~" sorts before the release,
# the commit time makes every later snapshot an upgrade); a release 0.1.0 stays 0.1.0.
deb_version=$maven_version
if [[ "$maven_version" == *-SNAPSHOT ]]; then
  stamp=$(git -C "$root" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S 2>/dev/null || date -u +%Y%m%d%H%M%S)
  sha=$(git -C "$root" rev-parse --short=8 HEAD 2>/dev/null || echo unknown)
  deb_version="${maven_version%-SNAPSHOT}~snapshot.$stamp.g$sha"
fi
arch=$(dpkg --print-architecture)
log "version $deb_version ($arch), JDK $java_major at $JAVA_HOME"

rm -rf "$work"; mkdir -p "$work" "$out"
rm -f "$out"/gatehouse-*.deb

# --- the shared runtime -----------------------------------------------------------------------------
# One jlink image for all three programs instead of one per package (what jpackage would do): the three
# share every JDK module they use, so one copy saves ~2 x 35 MB per host that runs several of them, and
# a JDK security update is one package. The module list is what `packaging/check-modules.sh` (jdeps
# over every jar) reports, plus what is only reached by reflection or used by operators; see README.
runtime_modules=$(grep -v '^\s*#' "$pkg_dir/runtime-modules" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
rt_stage="$work/gatehouse-runtime"
# Outside the checkout, like ~/.m2: a clean clone (CI) reuses the image of the previous build on this machine.
rt_cache="${GATEHOUSE_JLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/jlink-runtime}"
rt_key="$("$JAVA_HOME/bin/java" -version 2>&1 | tr '\n' ' ')|$JAVA_HOME|$runtime_modules"
# jlink is the slowest step (~12-25 s); its output depends only on the JDK and the module list.
rt_key="$rt_key|--strip-debug --no-man-pages --no-header-files --generate-cds-archive"
if [[ ! -f "$rt_cache/.key" || "$(cat "$rt_cache/.key")" != "$rt_key" ]]; then
  log "jlink: $runtime_modules"
  rm -rf "$rt_cache"; mkdir -p "$(dirname "$rt_cache")"
  # No jlink --compress: the .deb is compressed anyway, and an uncompressed jimage loads classes faster.
  # --generate-cds-archive: the default class-data-sharing archive a JDK ships, which jlink otherwise
  # leaves out (each start would then parse the JDK's classes again: +0.1 s CPU per CLI call, measured).
  "$JAVA_HOME/bin/jlink" --add-modules "$runtime_modules" --strip-debug --no-man-pages --no-header-files \
    --generate-cds-archive --output "$rt_cache/runtime" >/dev/null
  echo "$rt_key" > "$rt_cache/.key"
else
  log "jlink: reusing $rt_cache (same JDK and modules)"
fi
mkdir -p "$rt_stage/usr/lib/gatehouse" "$rt_stage/usr/share/doc/gatehouse-runtime"
# link_or_copy SRC DST: hard links where SRC is on the same file system (nothing is written to the staged
# files; dpkg-deb only reads them), else a copy. Saves copying ~250 MB per build.
link_or_copy() { cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }; }
link_or_copy "$rt_cache/runtime" "$rt_stage/usr/lib/gatehouse/runtime"
cp "$JAVA_HOME/legal/java.base/LICENSE" "$rt_stage/usr/share/doc/gatehouse-runtime/LICENSE" 2>/dev/null || true

# JVM options every launcher passes. JDK 24+ warns about sun.misc.Unsafe (Guava, protobuf, Netty) and
# native access (Netty, grpc-netty-shaded) unless told to allow it; the flags do not exist before 24.
jvm_common=""
if (( java_major >= 24 )); then jvm_common="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"; fi

# --- the applications -------------------------------------------------------------------------------
# stage_app MODULE PACKAGE DIR: the jar (renamed without its version, so the launcher's path is stable)
# and target/lib/ (the jar's manifest Class-Path points there) under /usr/lib/gatehouse/DIR.
stage_app() {
  local module=$1 package=$2 dir=$3 stage="$work/$2"
  mkdir -p "$stage/usr/lib/gatehouse/$dir" "$stage/usr/bin" "$stage/usr/share/doc/$package"
  cp "$(app_jar "$module")" "$stage/usr/lib/gatehouse/$dir/$package.jar"
  link_or_copy "$root/$module/target/lib" "$stage/usr/lib/gatehouse/$dir/lib"
  # Only what is on the manifest's Class-Path: a stale jar left in target/lib by an older build would
  # otherwise be shipped (and loaded by nobody).
  local cp_line="" keep
  command -v unzip >/dev/null && cp_line=$(unzip -p "$stage/usr/lib/gatehouse/$dir/$package.jar" META-INF/MANIFEST.MF 2>/dev/null \
    | tr -d '\r' | sed -n '/^Class-Path:/,/^[A-Za-z-]*:/p' | sed '1s/^Class-Path: //; /^[A-Za-z-]*:/d; s/^ //' | tr -d '\n')
  if [[ -n "$cp_line" ]]; then
    for keep in "$stage/usr/lib/gatehouse/$dir"/lib/*.jar; do
      [[ " $cp_line " == *" lib/$(basename "$keep") "* ]] || { log "$package: dropping $(basename "$keep") (not on the Class-Path)"; rm -f "$keep"; }
    done
  fi
  cp "$root/$module/README.md" "$stage/usr/share/doc/$package/README.md"
}
# launcher PACKAGE DIR COMMAND EXTRA_JVM_OPTS: /usr/bin/COMMAND from packaging/bin/launcher.in
launcher() {
  local package=$1 dir=$2 command=$3 extra=$4 target="$work/$1/usr/bin/$3"
  sed -e "s|@COMMAND@|$command|g" -e "s|@JAR@|/usr/lib/gatehouse/$dir/$package.jar|g" \
      -e "s|@JVM_OPTS@|$(echo "$jvm_common $extra" | sed 's/^ *//; s/ *$//')|g" \
      "$pkg_dir/bin/launcher.in" > "$target"
  chmod 0755 "$target"
}

# The services exit on OutOfMemoryError instead of limping on; systemd restarts them.
stage_app control-plane gatehouse-control-plane control-plane
launcher gatehouse-control-plane control-plane gatehouse-control-plane "-XX:+ExitOnOutOfMemoryError"
stage_app data-plane gatehouse-data-plane data-plane
launcher gatehouse-data-plane data-plane gatehouse-data-plane "-XX:+ExitOnOutOfMemoryError"
stage_app admin-cli gatehouse-cli cli
# The CLI is short-lived: C1 only starts faster, and the CDS archive above is used by default.
launcher gatehouse-cli cli gatehouse "-XX:TieredStopAtLevel=1"

for service in control-plane data-plane; do
  stage="$work/gatehouse-$service"
  mkdir -p "$stage/usr/lib/systemd/system" "$stage/etc/gatehouse/$service"
  cp "$pkg_dir/debian/$service/gatehouse-$service.service" "$stage/usr/lib/systemd/system/"
  cp "$pkg_dir/debian/$service/$service.env" "$stage/etc/gatehouse/$service.env"
done

# Bash completion, generated by running the CLI just staged on the runtime just built (so a runtime
# that cannot run the CLI fails the build here, not on a user's machine).
cli_stage="$work/gatehouse-cli"
mkdir -p "$cli_stage/usr/share/bash-completion/completions"
completion="$cli_stage/usr/share/bash-completion/completions/gatehouse"
rt_java="$rt_stage/usr/lib/gatehouse/runtime/bin/java"
cli_staged_jar="$cli_stage/usr/lib/gatehouse/cli/gatehouse-cli.jar"
# shellcheck disable=SC2086 # jvm_common is a list of options
# bash-completion sources the file: picocli's "#!/usr/bin/env bash" line is dropped (lintian: bash-completion-with-hashbang).
"$rt_java" $jvm_common -jar "$cli_staged_jar" generate-completion | sed '1{/^#!/d}' > "$completion" \
  || die "gatehouse generate-completion failed (is admin-cli/target older than the subcommand? GATEHOUSE_DEB_REBUILD=1)"
grep -q 'complete -F' "$completion" || die "bash completion was not generated"
log "staged in $((SECONDS - started)) s"

# --- control files ----------------------------------------------------------------------------------
# control PACKAGE ARCH DEPENDS: DEBIAN/control from packaging/debian/PACKAGE/control.in, plus the
# maintainer scripts and conffiles found next to it.
control() {
  local package=$1 a=$2 depends=$3 stage="$work/$1" src="$pkg_dir/debian/${1#gatehouse-}" f size
  mkdir -p "$stage/DEBIAN"
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  sed -e "s|@VERSION@|$deb_version|g" -e "s|@ARCH@|$a|g" -e "s|@DEPENDS@|$depends|g" -e "s|@SIZE@|$size|g" \
    "$src/control.in" > "$stage/DEBIAN/control"
  for f in preinst postinst prerm postrm; do
    if [[ -f "$src/$f" ]]; then install -m 0755 "$src/$f" "$stage/DEBIAN/$f"; fi
  done
  if [[ $package == gatehouse-control-plane || $package == gatehouse-data-plane ]]; then
    # Both services' maintainer scripts come from one template: same user handling, same systemd rules.
    local service=${package#gatehouse-} user purge_state=""
    user=gatehouse-cp; [[ $service == data-plane ]] && user=gatehouse-dp
    [[ $service == data-plane ]] && purge_state=$(cat "$pkg_dir/debian/data-plane/purge-state")
    for f in postinst prerm postrm; do
      awk -v service="$service" -v user="$user" -v purge="$purge_state" '
        { gsub(/@SERVICE@/, service); gsub(/@USER@/, user) }
        /^@PURGE_STATE@$/ { if (purge != "") print purge; next }
        { print }' "$pkg_dir/debian/service/$f.in" > "$stage/DEBIAN/$f"
      chmod 0755 "$stage/DEBIAN/$f"
    done
  fi
  if [[ -f "$src/conffiles" ]]; then install -m 0644 "$src/conffiles" "$stage/DEBIAN/conffiles"; fi
  # DEBIAN/md5sums, as dh_md5sums writes it: `dpkg --verify` and debsums check installed files with it.
  (cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
    | sort -z | xargs -0 -r md5sum > DEBIAN/md5sums)
  # dpkg-deb records modes as staged: directories 0755, files 0644 unless executable.
  find "$stage" -path "$stage/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
  find "$stage/usr/lib/gatehouse" -type f -name '*.jar' ! -perm 0644 -exec chmod 0644 {} + 2>/dev/null || true
  find "$stage/etc" -type f -exec chmod 0644 {} + 2>/dev/null || true
  # jlink writes the legal notices 0444; Debian wants 0644 (root owns them either way).
  find "$stage" -path "$stage/DEBIAN" -prune -o -type f ! -perm -u+w -exec chmod u+w {} +
}
# The runtime pins the architecture and glibc (ldd of bin/java and libjvm.so: libc, libm, libdl, libpthread,
# librt: all libc6); the applications are jars (Architecture: all) pinned to the runtime they were built with.
control gatehouse-runtime "$arch" "libc6"
for package in gatehouse-control-plane gatehouse-data-plane; do
  control "$package" all "gatehouse-runtime (= $deb_version), adduser"
done
control gatehouse-cli all "gatehouse-runtime (= $deb_version)"

# --- build ------------------------------------------------------------------------------------------
compression=${GATEHOUSE_DEB_COMPRESSION:-zstd:9}
[[ "$compression" =~ ^(zstd|xz|gzip):[0-9]+$ ]] || die "GATEHOUSE_DEB_COMPRESSION must be zstd|xz|gzip:LEVEL, not '$compression'"
pids=()
for package in gatehouse-runtime gatehouse-control-plane gatehouse-data-plane gatehouse-cli; do
  a=all; [[ $package == gatehouse-runtime ]] && a=$arch
  # --root-owner-group: every file root:root without fakeroot; the service users own nothing in the package.
  dpkg-deb --root-owner-group -Z"${compression%%:*}" -z"${compression##*:}" --build "$work/$package" \
    "$out/${package}_${deb_version}_${a}.deb" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "dpkg-deb failed"; done

if [[ "${GATEHOUSE_DEB_LINTIAN:-}" == 1 ]] && command -v lintian >/dev/null; then
  lintian --no-tag-display-limit "$out"/gatehouse-*.deb || true
fi
for deb in "$out"/gatehouse-*.deb; do
  log "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB, installed $(dpkg-deb -f "$deb" Installed-Size) KiB"
done
log "done in $((SECONDS - started)) s"
