#!/usr/bin/env bash
# Builds mediasoup's C++ worker from the sources shipped in node_modules/mediasoup,
# against Debian's system libraries, without any network access.
#
#   scripts/mediasoup/build-worker.sh OUTPUT_PATH
#
# mediasoup's own postinstall downloads a prebuilt binary, pip-installs meson and
# ninja, and has meson download every subproject; none of that is reachable here.
# Instead, each subproject directory is pre-filled with a small shim (shims/<wrap name>)
# whose meson.build exposes the variables the worker reads, backed by pkg-config.
# See /work/shared/notes/mediasoup-offline-build.md for the facts behind each step.
#
# node_modules is never modified: the worker sources are copied to a temp dir.
# OUTPUT_PATH is written last, via a temp file and a rename in its directory.
# Environment: MEDIASOUP_DIR (default: <repo>/node_modules/mediasoup),
# CLASSCAST_BUILD_JOBS (default 2: the machines running this have 2 shared cores).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTPUT_PATH" >&2
  exit 2
fi
output=$1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mediasoup_dir=${MEDIASOUP_DIR:-$repo/node_modules/mediasoup}
jobs=${CLASSCAST_BUILD_JOBS:-2}
src=$mediasoup_dir/worker

log() { echo "[build-worker] $*" >&2; }

for tool in meson ninja pkg-config flatc g++ patch; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing tool: $tool (run scripts/setup.sh)"; exit 1; }
done
[[ -f $src/meson.build ]] || { log "no worker sources at $src (is mediasoup installed?)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/classcast-mediasoup-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "copying worker sources to $work"
# out/ may hold a previously installed binary or a partial build of mediasoup's own.
w=$work/worker
mkdir "$w"
tar -C "$src" --exclude=./out -cf - . | tar -C "$w" -xf -

# Fixes to the worker's own sources (each patch file says why), applied to the copy.
for patch_file in "$here"/patches/*.patch; do
  [[ -e $patch_file ]] || continue
  log "applying $(basename "$patch_file")"
  patch -d "$w" -p1 --forward --batch --silent <"$patch_file" ||
    { log "$(basename "$patch_file") does not apply to this mediasoup version"; exit 1; }
done

# Pre-fill each subproject directory with its shim. The directory name comes from the
# wrap file, because it changes with every upstream version bump.
for shim in "$here"/shims/*/; do
  name=$(basename "$shim")
  wrap=$w/subprojects/$name.wrap
  [[ -f $wrap ]] || { log "no subprojects/$name.wrap in this mediasoup version"; exit 1; }
  dir=$(sed -n 's/^[[:space:]]*directory[[:space:]]*=[[:space:]]*//p' "$wrap" | tr -d '[:space:]')
  [[ -n $dir ]] || { log "no 'directory =' line in $name.wrap"; exit 1; }
  rm -rf "$w/subprojects/$dir"
  cp -r "$shim" "$w/subprojects/$dir"
done

# Debian 12 has meson 1.0.1; the worker asks for >= 1.1.0 but uses nothing newer.
sed -i -E "s/meson_version[[:space:]]*:[[:space:]]*'[^']*'/meson_version: '>= 1.0.0'/" "$w/meson.build"

log "configuring (meson $(meson --version))"
# liburing: Debian's 2.3 is older than the 2.5 the worker needs.
# wrap-mode=nodownload: fail fast instead of trying to reach the internet.
(cd "$w" && meson setup build \
  --buildtype release -Db_ndebug=true \
  --wrap-mode=nodownload \
  -Dms_disable_liburing=true >"$work/meson-setup.log" 2>&1) || {
  tail -n 40 "$work/meson-setup.log" >&2
  log "meson setup failed"
  exit 1
}

log "compiling with $jobs jobs (takes minutes)"
# The flatbuffers headers must exist before any worker source compiles; ninja does not
# order them for the mediasoup-worker target on its own.
if ! ninja -C "$w/build" -j "$jobs" fbs/FBS >"$work/ninja.log" 2>&1 ||
   ! ninja -C "$w/build" -j "$jobs" mediasoup-worker >>"$work/ninja.log" 2>&1; then
  grep -E -B2 -A12 'error|FAILED' "$work/ninja.log" | head -n 80 >&2 || tail -n 60 "$work/ninja.log" >&2
  log "compile failed"
  exit 1
fi

bin=$w/build/mediasoup-worker
[[ -x $bin ]] || { log "build produced no $bin"; exit 1; }
if ldd "$bin" | grep -q 'not found'; then
  ldd "$bin" >&2
  log "the worker links against libraries that are not installed"
  exit 1
fi

mkdir -p "$(dirname "$output")"
tmp_out=$(mktemp "$(dirname "$output")/.mediasoup-worker.XXXXXX")
cp "$bin" "$tmp_out"
chmod 755 "$tmp_out"
mv -f "$tmp_out" "$output"
log "built $output ($(du -h "$output" | cut -f1))"
