#!/usr/bin/env bash
# Stop the throwaway test server started by scripts/start-postgres.sh.
# Only touches the server of our data dir (via pg_ctl and its postmaster.pid);
# never signals any other process. Same environment as start-postgres.sh
# (CARE_PG_DIR, CARE_PG_PORT).
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
port=${CARE_PG_PORT:-55432}
pg_user=postgres

log() { printf 'stop-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Same user choice as start-postgres.sh: root acts as the postgres user.
as_pg() {
  if is_root; then
    (cd / && runuser -u "$pg_user" -- "$@")
  else
    (cd / && "$@")
  fi
}

# Mirrors resolve_data_dir in start-postgres.sh.
if [[ -n ${CARE_PG_DIR:-} ]]; then
  case $CARE_PG_DIR in
    /*) data_dir=$CARE_PG_DIR ;;
    *) data_dir=$PWD/$CARE_PG_DIR ;;
  esac
else
  data_dir=$repo_root/.tmp/pg
  if is_root && ! as_pg test -x "$(dirname "$data_dir")" 2>/dev/null; then
    data_dir=${TMPDIR:-/tmp}/care-pg-$port
  fi
fi

if [[ ! -f $data_dir/PG_VERSION ]]; then
  log "no cluster in $data_dir; nothing to stop"
  exit 0
fi

# Use pg_ctl of the cluster's own major version when available.
version=$(<"$data_dir/PG_VERSION")
if [[ -x /usr/lib/postgresql/$version/bin/pg_ctl ]]; then
  pg_ctl=/usr/lib/postgresql/$version/bin/pg_ctl
else
  pg_ctl=$(command -v pg_ctl) || die "pg_ctl not found"
fi

if ! as_pg "$pg_ctl" status -D "$data_dir" >/dev/null 2>&1; then
  log "server on $data_dir is not running"
  exit 0
fi
log "stopping server on $data_dir"
as_pg "$pg_ctl" stop -D "$data_dir" -m fast -w -t 30 -s >&2
