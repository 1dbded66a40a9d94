#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server for tests, listening on
# 127.0.0.1 only, with durability turned off for speed. Never use it for data
# you care about.
#
# Usage: scripts/start-postgres.sh [--install-only]
#   eval "$(scripts/start-postgres.sh | tail -n1)"   # sets TEST_DATABASE_URL
#
# The last (and only) line on stdout is
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
# All other output goes to stderr.
#
# Environment:
#   CARE_PG_DIR          data directory (default: <repo>/.tmp/pg)
#   CARE_PG_PORT         TCP port (default: 55432)
#   CARE_PG_STATUS_FILE  if set, "started" or "reused" is written to this file
#                        (lets scripts/test.sh stop only a server it started)
#   CARE_APT_UPDATED=1   the caller already ran apt-get update
#
# --install-only: only make sure the PostgreSQL binaries are installed.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
port=${CARE_PG_PORT:-55432}
pg_user=postgres

log() { printf 'start-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $port =~ ^[0-9]+$ ]] || die "CARE_PG_PORT must be a number, got '$port'"

install_only=0
case ${1:-} in
  '') ;;
  --install-only) install_only=1 ;;
  *) die "unknown argument: $1 (usage: $0 [--install-only])" ;;
esac

is_root() { [[ $(id -u) -eq 0 ]]; }

# initdb refuses to run as root, so root runs the server as the postgres
# system user; anyone else runs it as themselves. cd / so the server never
# warns about an unreadable working directory.
# 9>&-: the server must not inherit (and so hold forever) our lock fd.
as_pg() {
  if is_root; then
    (cd / && runuser -u "$pg_user" -- "$@") 9>&-
  else
    (cd / && "$@") 9>&-
  fi
}

apt_updated=${CARE_APT_UPDATED:-0}
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # Update only if there are no package lists at all, or if install fails
  # with stale lists -- and at most once.
  if [[ $apt_updated != 1 ]] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update >&2
    apt_updated=1
  fi
  if ! apt-get install -y --no-install-recommends "$@" >&2; then
    [[ $apt_updated != 1 ]] || return 1
    apt-get update >&2
    apt_updated=1
    apt-get install -y --no-install-recommends "$@" >&2
  fi
}

# Echo the directory holding pg_ctl/initdb. $1: wanted major version (from an
# existing data dir's PG_VERSION), preferred when installed.
find_bindir() {
  local want=${1:-} d v best='' best_v=''
  if [[ -n $want && -x /usr/lib/postgresql/$want/bin/pg_ctl ]]; then
    echo "/usr/lib/postgresql/$want/bin"
    return 0
  fi
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    # Resolve symlinks so pg_isready etc. next to the real binary are found.
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/pg_ctl && -x $d/initdb ]] || continue
    v=$(basename "$(dirname "$d")")
    if [[ -z $best_v || $(printf '%s\n%s\n' "$best_v" "$v" | sort -V | tail -n1) == "$v" ]]; then
      best=$d best_v=$v
    fi
  done
  [[ -n $best ]] || return 1
  echo "$best"
}

ensure_binaries() {
  local want=${1:-}
  if bindir=$(find_bindir "$want"); then
    return 0
  fi
  if ! is_root; then
    log "PostgreSQL server binaries (pg_ctl, initdb) not found."
    log "Install them, e.g.: sudo apt-get install -y postgresql"
    exit 1
  fi
  log "PostgreSQL not found; installing it with apt-get"
  apt_install postgresql || die "apt-get install postgresql failed"
  bindir=$(find_bindir "$want") || die "postgresql installed but pg_ctl/initdb not found"
}

ensure_pg_user() {
  is_root || return 0
  if ! id -u "$pg_user" >/dev/null 2>&1; then
    log "creating system user $pg_user"
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$pg_user"
  fi
}

# Data dir: $CARE_PG_DIR, else <repo>/.tmp/pg. If we run as root and the
# postgres user cannot reach the repository (e.g. a clone under /root), fall
# back to a directory under $TMPDIR. stop-postgres.sh mirrors this logic.
resolve_data_dir() {
  if [[ -n ${CARE_PG_DIR:-} ]]; then
    case $CARE_PG_DIR in
      /*) data_dir=$CARE_PG_DIR ;;
      *) data_dir=$PWD/$CARE_PG_DIR ;;
    esac
    return 0
  fi
  data_dir=$repo_root/.tmp/pg
  if is_root; then
    mkdir -p "$(dirname "$data_dir")"
    if ! as_pg test -x "$(dirname "$data_dir")"; then
      data_dir=${TMPDIR:-/tmp}/care-pg-$port
      log "warning: user $pg_user cannot access $repo_root; using $data_dir"
    fi
  fi
}

ensure_binaries ""
ensure_pg_user
if (( install_only )); then
  log "PostgreSQL binaries: $bindir"
  exit 0
fi

resolve_data_dir
mkdir -p "$(dirname "$data_dir")"

# Serialize concurrent invocations on the same data dir (initdb/start races).
lock_file=$(dirname "$data_dir")/.$(basename "$data_dir").lock
exec 9>"$lock_file"
flock -w 120 9 || die "timed out waiting for lock $lock_file"

# An existing cluster needs binaries of its own major version.
if [[ -f $data_dir/PG_VERSION ]]; then
  ensure_binaries "$(<"$data_dir/PG_VERSION")"
fi
pg_ctl=$bindir/pg_ctl
if [[ -x $bindir/pg_isready ]]; then
  pg_isready=$bindir/pg_isready
else
  pg_isready=$(command -v pg_isready) || die "pg_isready not found"
fi

write_status() {
  if [[ -n ${CARE_PG_STATUS_FILE:-} ]]; then
    printf '%s\n' "$1" >"$CARE_PG_STATUS_FILE"
  fi
}

wait_ready() {
  local i
  for ((i = 0; i < 60; i++)); do
    if "$pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

print_url() {
  printf 'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$1"
}

# Reuse a server that is already running on this data dir.
if [[ -f $data_dir/PG_VERSION ]] && as_pg "$pg_ctl" status -D "$data_dir" >/dev/null 2>&1; then
  # Line 4 of postmaster.pid is the port the running server actually uses.
  run_port=$(sed -n 4p "$data_dir/postmaster.pid" 2>/dev/null || true)
  if [[ $run_port =~ ^[0-9]+$ && $run_port != "$port" ]]; then
    log "warning: server on $data_dir already runs on port $run_port (not $port); reusing it"
    port=$run_port
  fi
  wait_ready "$port" || die "server on $data_dir is running but not ready on 127.0.0.1:$port"
  log "reusing running server ($data_dir, port $port)"
  write_status reused
  print_url "$port"
  exit 0
fi

mkdir -p "$data_dir"
chmod 700 "$data_dir"
if is_root && [[ $(stat -c %U "$data_dir") != "$pg_user" ]]; then
  chown -R "$pg_user:" "$data_dir"
fi

if [[ ! -f $data_dir/PG_VERSION ]]; then
  if [[ -n $(ls -A "$data_dir") ]]; then
    die "$data_dir is not empty and not a PostgreSQL data dir; remove it or set CARE_PG_DIR"
  fi
  log "initializing new cluster in $data_dir"
  # C locale: deterministic sorting and no dependency on generated locales.
  as_pg "$bindir/initdb" -D "$data_dir" -U postgres -A trust -E UTF8 --locale=C --no-sync >&2
fi

# Write the settings before every start so changes to this script (or
# CARE_PG_PORT) apply to existing data dirs too.
write_pg_file() {
  cat >"$1"
  if is_root; then chown "$pg_user:" "$1"; fi
  chmod 600 "$1"
}

# A Unix socket path longer than 107 bytes is rejected; tests use TCP anyway,
# so fall back to no socket rather than failing.
socket_dir=$data_dir
if (( ${#data_dir} + ${#port} + 11 > 107 )); then
  log "warning: data dir path too long for a Unix socket; TCP only"
  socket_dir=''
fi
# Quote for postgresql.conf: a single quote is written as two.
socket_dir_q=${socket_dir//"'"/"''"}

write_pg_file "$data_dir/care-test.conf" <<CONF
# Written by scripts/start-postgres.sh: throwaway test server, no durability.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir_q'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
if ! grep -q "^include_if_exists = 'care-test.conf'" "$data_dir/postgresql.conf"; then
  printf "\ninclude_if_exists = 'care-test.conf'\n" >>"$data_dir/postgresql.conf"
fi

write_pg_file "$data_dir/pg_hba.conf" <<'HBA'
# Written by scripts/start-postgres.sh: loopback-only throwaway test server.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
HBA

log_file=$data_dir/care-server.log
log "starting server ($data_dir, 127.0.0.1:$port, log $log_file)"
if ! as_pg "$pg_ctl" start -D "$data_dir" -l "$log_file" -w -t 30 -s >&2; then
  tail -n 20 "$log_file" >&2 || true
  die "pg_ctl start failed (is port $port already in use?)"
fi
if ! wait_ready "$port"; then
  tail -n 20 "$log_file" >&2 || true
  # Do not leave a half-working server behind.
  as_pg "$pg_ctl" stop -D "$data_dir" -m fast -s >&2 || true
  die "server did not become ready on 127.0.0.1:$port within 30 s"
fi
write_status started
print_url "$port"
