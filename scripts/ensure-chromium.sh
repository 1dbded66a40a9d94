#!/usr/bin/env bash
# Make sure Chromium is installed (for browser tests). The last (and only)
# stdout line is the path of the chromium binary; messages go to stderr.
# CARE_APT_UPDATED=1 tells us the caller already ran apt-get update.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

if path=$(command -v chromium); then
  printf '%s\n' "$path"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  log "chromium not found on PATH."
  log "Install it, e.g.: sudo apt-get install -y chromium"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_updated=${CARE_APT_UPDATED:-0}
# Update only if there are no package lists at all, or if install fails with
# stale lists -- and at most once. fonts-liberation: without recommends there
# would be no fonts at all to render text with.
pkgs=(chromium fonts-liberation)
log "chromium not found; installing it with apt-get"
if [[ $apt_updated != 1 ]] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  apt-get update >&2
  apt_updated=1
fi
if ! apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; then
  [[ $apt_updated != 1 ]] || { log "error: apt-get install failed"; exit 1; }
  apt-get update >&2
  apt-get install -y --no-install-recommends "${pkgs[@]}" >&2
fi

path=$(command -v chromium) || { log "error: chromium installed but not on PATH"; exit 1; }
printf '%s\n' "$path"
