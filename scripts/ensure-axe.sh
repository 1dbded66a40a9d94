#!/usr/bin/env bash
# Make sure axe-core (the accessibility engine the browser journeys inject into
# each main page) is at hand, at a pinned version, cached under .tmp/. The last
# (and only) stdout line is the path of axe.min.js; messages go to stderr.
# It comes from the npm registry through npm itself (installed with apt-get
# when missing and running as root).
set -euo pipefail

version=4.14.1
log() { printf 'ensure-axe: %s\n' "$*" >&2; }

cd "$(dirname "$0")/.."
dir=.tmp/axe-core-$version
file=$dir/axe.min.js
if [[ -s $file ]]; then
  printf '%s\n' "$PWD/$file"
  exit 0
fi

if ! command -v npm >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    log "npm not found on PATH; install it (apt-get install npm) or set CARE_AXE to an axe.min.js"
    exit 1
  fi
  [[ ${CARE_APT_UPDATED:-0} == 1 ]] || apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "fetching axe-core@$version"
(cd "$work" && npm pack --silent "axe-core@$version" >&2)
tar -xzf "$work/axe-core-$version.tgz" -C "$work"
mkdir -p "$dir"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$dir/"
printf '%s\n' "$PWD/$file"
