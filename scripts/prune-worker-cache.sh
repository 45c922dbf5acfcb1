#!/usr/bin/env bash
# Removes old mediasoup workers from the build cache: every <key>/ under CACHE_DIR except
# CURRENT_KEY and the KEEP most recently used others (a key directory's modification time is
# its last use; scripts/setup.sh touches it whenever it installs from it). A key whose lock
# another setup run holds (building it, or installing from it) is left alone.
#   usage: prune-worker-cache.sh CACHE_DIR CURRENT_KEY [KEEP=2]
# (Outside scripts/mediasoup/ on purpose: every file there is part of the worker's cache key.)
set -euo pipefail
cache_dir=$1
current=$2
keep=${3:-2}
[[ -d $cache_dir ]] || exit 0
cd "$cache_dir"
# Newest first; names beginning with '.' are locks and temporary build directories.
mapfile -t keys < <(find . -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2-)
kept=0
for key in "${keys[@]}"; do
  [[ $key == "$current" ]] && continue
  if ((kept < keep)); then
    kept=$((kept + 1))
    continue
  fi
  (
    flock -n 9 || exit 0
    rm -rf -- "$key"
    echo "[setup] removed an old mediasoup worker from the cache: $key" >&2
  ) 9>".$key.lock"
  rm -f -- ".$key.lock"
done
# Lock files of keys that are gone (an interrupted build's, a pruned key's), unless held.
for lock in .*.lock; do
  [[ -e $lock ]] || continue
  key=${lock#.}
  key=${key%.lock}
  [[ -d $key ]] && continue
  (flock -n 9 && rm -f -- "$lock") 9>>"$lock" || true
done
