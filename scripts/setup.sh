#!/usr/bin/env bash
# Makes this checkout runnable: Debian packages, npm packages, and the mediasoup worker.
# `npm start` and `npm test` run it first; each step is skipped quickly when already
# satisfied, and it prints nothing then.
#
# It runs before node_modules exists, so it depends on nothing from npm.
#
# The mediasoup worker is built from source (scripts/mediasoup/build-worker.sh; the
# machines this runs on reach only the npm registry and Debian's mirrors) and cached at
#   ${CLASSCAST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/classcast}/mediasoup-worker/<key>/
# where <key> = mediasoup version + machine + a hash of every file under scripts/mediasoup,
# so `npm ci` never costs a rebuild and a change to the recipe always causes one. The
# binary is copied to node_modules/mediasoup/worker/out/Release/, where mediasoup's Node
# layer looks by default.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

cache_root=${CLASSCAST_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/classcast}

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] error: $*" >&2; exit 1; }

# Runs "$@" holding an exclusive lock on file $1 (the rest is the command).
with_lock() {
  local lockfile=$1; shift
  mkdir -p "$(dirname "$lockfile")"
  (
    if ! flock -n 9; then
      log "waiting for another setup run to finish ($(basename "$lockfile"))"
      flock 9
    fi
    "$@"
  ) 9>"$lockfile"
}

# --- 1. Debian packages ---------------------------------------------------------------

apt_packages=(
  ffmpeg socat chromium fonts-dejavu-core rtsp-server-perl iproute2 systemd
  meson ninja-build pkg-config libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev
  libabsl-dev flatbuffers-compiler libflatbuffers-dev g++ python3 patch
)

# Builtins only apart from one dpkg-query: on a loaded machine every process costs.
missing_apt_packages() {
  local -A installed=()
  local pkg status
  # dpkg-query prints only the packages dpkg knows about ("install ok installed" if so).
  while read -r pkg status; do
    [[ $status == *' installed' ]] && installed[$pkg]=1
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "${apt_packages[@]}" 2>/dev/null || true)
  for pkg in "${apt_packages[@]}"; do
    [[ -n ${installed[$pkg]:-} ]] || echo "$pkg"
  done
}

run_apt_get() {
  local missing
  missing=$(missing_apt_packages) # again: another run may have installed them meanwhile
  [[ -z $missing ]] && return 0
  local -a sudo=()
  if [[ $EUID -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      # shellcheck disable=SC2086 # one package per word
      die "missing Debian packages and not root (no sudo either); as root run:
  apt-get update && apt-get install -y --no-install-recommends $(echo $missing)"
    fi
    # Without a terminal nobody can type a password: fail instead of hanging.
    if [[ -t 0 ]]; then sudo=(sudo); else sudo=(sudo -n); fi
  fi
  # shellcheck disable=SC2086
  log "installing Debian packages: $(echo $missing)"
  # Lock timeout: on a fresh machine unattended-upgrades may hold dpkg's lock for a while.
  "${sudo[@]}" apt-get -q -o DPkg::Lock::Timeout=600 update >&2 </dev/null ||
    die "apt-get update failed"
  # shellcheck disable=SC2086
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
    install -y --no-install-recommends $missing >&2 </dev/null || die "apt-get install failed"
}

install_apt_packages() {
  command -v dpkg-query >/dev/null 2>&1 || {
    log "not a Debian-based system: make sure these are installed: ${apt_packages[*]}"
    return 0
  }
  [[ -z $(missing_apt_packages) ]] && return 0
  with_lock "$cache_root/locks/apt.lock" run_apt_get
}

# --- 2. npm packages ------------------------------------------------------------------

npm_stamp=node_modules/.classcast-lock-sha256

lock_sha() {
  local sum
  sum=$(sha256sum package-lock.json)
  echo "${sum%% *}"
}

npm_up_to_date() {
  local stamp=''
  [[ -f $npm_stamp ]] && read -r stamp <"$npm_stamp"
  [[ -n $stamp && $stamp == "$(lock_sha)" ]]
}

# True when node_modules already holds exactly what package-lock.json lists, judged from
# npm's own record of the tree (node_modules/.package-lock.json). This is the case after
# `npm install --save-exact X` changed the lock: re-stamping then avoids an `npm ci` that
# would delete node_modules under code that is running from it.
node_modules_match_lock() {
  [[ -f node_modules/.package-lock.json ]] || return 1
  node -e '
    const want = require("./package-lock.json").packages ?? {};
    const have = require("./node_modules/.package-lock.json").packages ?? {};
    for (const [k, v] of Object.entries(want)) {
      if (k === "") continue;
      if (!have[k]) { if (v.optional) continue; process.exit(1); } // other-platform optionals
      if (have[k].version !== v.version) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!(k in want)) process.exit(1);
  ' 2>/dev/null
}

run_npm_ci() {
  npm_up_to_date && return 0 # someone else did it while we waited for the lock
  # A missing stamp means an unknown tree: only a changed stamp may be re-stamped.
  if [[ -f $npm_stamp ]] && node_modules_match_lock; then
    lock_sha >"$npm_stamp"
    return 0
  fi
  log "installing npm packages (npm ci)"
  # .npmrc keeps install scripts off: mediasoup's would try to download its worker.
  local out status=0
  out=$(mktemp)
  npm ci --no-audit --no-fund </dev/null >"$out" 2>&1 || status=$?
  if [[ $status -ne 0 ]] && grep -q 'can only install packages when your package.json and package-lock.json' "$out"; then
    # The registry these machines reach lacks other platforms' optional binaries (e.g.
    # @rollup/rollup-darwin-arm64), so `npm install` writes a lock without them, and
    # npm 11's `npm ci` then calls that same lock out of sync (npm/cli#9846). `npm install`
    # accepts the lock and installs exactly its versions; the checks below make sure.
    log "npm ci refused the lock file (optional packages this registry lacks); using npm install with the same lock"
    local lock_before
    lock_before=$(lock_sha)
    cp package-lock.json "$out.lock"
    status=0
    npm install --no-save --no-audit --no-fund </dev/null >"$out" 2>&1 || status=$?
    if [[ $(lock_sha) != "$lock_before" ]]; then
      cp "$out.lock" package-lock.json
      rm -f "$out.lock"
      cat "$out" >&2; rm -f "$out"
      die "npm install wanted to change package-lock.json (restored); the lock does not match package.json"
    fi
    rm -f "$out.lock"
    if [[ $status -eq 0 ]] && ! node_modules_match_lock; then
      cat "$out" >&2; rm -f "$out"
      die "node_modules does not match package-lock.json after npm install"
    fi
  fi
  if [[ $status -ne 0 ]]; then
    cat "$out" >&2; rm -f "$out"
    die "installing npm packages failed"
  fi
  rm -f "$out"
  lock_sha >"$npm_stamp"
}

install_npm_packages() {
  npm_up_to_date && return 0
  # Per checkout: two `npm test` in one checkout must not run npm ci at the same time.
  with_lock "$cache_root/locks/npm-$(echo -n "$repo" | sha256sum | cut -c1-16).lock" run_npm_ci
}

# --- 3. mediasoup worker --------------------------------------------------------------

worker_installed=node_modules/mediasoup/worker/out/Release/mediasoup-worker

worker_key() {
  local version recipe_hash os
  # A top-level key is indented by exactly one tab or two spaces; this avoids starting
  # node (slow on a loaded machine) on every run. node is the fallback.
  version=$(sed -n -E '/^(\t|  )"version"[[:space:]]*:[[:space:]]*"([^"]+)".*/{s//\2/p;q}' \
    node_modules/mediasoup/package.json)
  [[ -n $version ]] ||
    version=$(node -p 'require("./node_modules/mediasoup/package.json").version' 2>/dev/null || true)
  [[ -n $version ]] || die "cannot read the mediasoup version from node_modules/mediasoup/package.json"
  # Paths and contents of every recipe file; sorted so the hash does not depend on order.
  recipe_hash=$(cd scripts/mediasoup &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  # The binary links against the distribution's shared libraries.
  os=$(. /etc/os-release 2>/dev/null && echo "${ID:-linux}${VERSION_ID:-}" || echo linux)
  echo "$version-${HOSTTYPE:-$(uname -m)}-$os-$recipe_hash"
}

# Copies $1 to $2 through a temp file and a rename: a worker running from $2 keeps its
# old inode, and a reader never sees a half-written file.
atomic_copy() {
  local src=$1 dst=$2 tmp
  mkdir -p "$(dirname "$dst")"
  tmp=$(mktemp "$(dirname "$dst")/.mediasoup-worker.XXXXXX")
  cp "$src" "$tmp" && chmod 755 "$tmp" && mv -f "$tmp" "$dst" || { rm -f "$tmp"; return 1; }
}

build_worker_into_cache() {
  local key_dir=$1
  [[ -x $key_dir/mediasoup-worker ]] && return 0 # built while we waited for the lock
  local parent tmp_dir started
  parent=$(dirname "$key_dir")
  # Leftovers of an interrupted build (its temp dir) are never used: remove them.
  rm -rf "$parent/.building-$(basename "$key_dir")".* "$key_dir"
  tmp_dir=$(mktemp -d "$parent/.building-$(basename "$key_dir").XXXXXX")
  # Interrupted (Ctrl-C, CI timeout): leave no half-built state behind.
  trap 'rm -rf "$tmp_dir"; exit 130' INT
  trap 'rm -rf "$tmp_dir"; exit 143' TERM
  started=$(date +%s)
  log "building the mediasoup worker (once per mediasoup version; a few minutes)"
  # The build's scratch space lives inside tmp_dir too, so that whatever a killed build
  # leaves is removed with it (here, or by the next build of this key above).
  if ! TMPDIR=$tmp_dir bash scripts/mediasoup/build-worker.sh "$tmp_dir/mediasoup-worker"; then
    rm -rf "$tmp_dir"
    die "mediasoup worker build failed"
  fi
  log "checking the new worker"
  if ! MEDIASOUP_WORKER_BIN=$tmp_dir/mediasoup-worker node scripts/mediasoup/verify-worker.mjs >&2; then
    rm -rf "$tmp_dir"
    die "the new mediasoup worker does not work"
  fi
  # A directory rename is atomic: <key>/ appears complete or not at all. (mktemp -d made
  # it private; the cache may be shared with other users.)
  chmod 755 "$tmp_dir"
  mv -T "$tmp_dir" "$key_dir"
  log "mediasoup worker ready in $(($(date +%s) - started))s: $key_dir"
}

install_worker() {
  [[ -f node_modules/mediasoup/package.json ]] || die "node_modules/mediasoup is missing after npm ci"
  local key key_dir cached
  key=$(worker_key)
  key_dir=$cache_root/mediasoup-worker/$key
  cached=$key_dir/mediasoup-worker

  if [[ ! -x $cached ]]; then
    # Per key: concurrent runs wait for one build instead of building twice.
    with_lock "$cache_root/mediasoup-worker/.$key.lock" build_worker_into_cache "$key_dir"
  fi

  # A key directory's modification time is its last use: old keys are pruned by it.
  touch "$key_dir"
  bash scripts/prune-worker-cache.sh "$cache_root/mediasoup-worker" "$key" || log "could not prune old workers from the cache"

  cmp -s "$cached" "$worker_installed" && return 0
  if ldd "$cached" 2>/dev/null | grep -q 'not found'; then
    die "cached worker $cached needs libraries that are missing; delete $key_dir to rebuild"
  fi
  atomic_copy "$cached" "$worker_installed" || die "cannot install the worker into $worker_installed"
  log "installed the mediasoup worker into $worker_installed"
}

install_apt_packages
install_npm_packages
install_worker
