#!/usr/bin/env bash
# Live play under load: 500 players following one exercise over SSE, on one
# instance (SQLite) and on two instances sharing one PostgreSQL. Prints the
# delivery delays (p50/p99, scheduled and sent-now stimuli), the CPU of idle
# streams and the memory per connected player (see internal/exercise/bench_test.go).
# Usage: scripts/bench-exercise.sh [go test flags...]
#   default flags: -bench Players -benchtime 1x -count 1
#   TEST_DATABASE_URL  if already set, that database is used and no server is
#                      started; otherwise start-postgres.sh starts (or reuses)
#                      one on 127.0.0.1, stopped at the end only if started here
#   CARE_BENCH_CPUPROFILE=file  CPU profile of the measured part (one benchmark)
# Traffic stays on loopback: the servers listen on 127.0.0.1 and the benchmark
# refuses a database that is not on this machine.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

script_dir=$(cd "$(dirname "$0")" && pwd)
cd "$script_dir/.."

log() { printf 'bench-exercise: %s\n' "$*" >&2; }

# Two file descriptors per stream (client and server ends) and a few hundred
# more for the databases and listeners.
want_fds=4096
if [[ $(ulimit -n) != unlimited ]] && (( $(ulimit -n) < want_fds )); then
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || (( hard >= want_fds )); then
    ulimit -n "$want_fds"
  else
    ulimit -n "$hard"
    log "warning: open files limited to $hard (hard limit); $want_fds wanted"
  fi
fi
log "open files limit: $(ulimit -n)"

started_pg=0
status_file=''
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  [[ -z $status_file ]] || rm -f "$status_file"
  if (( started_pg )); then
    bash "$script_dir/stop-postgres.sh" || log "warning: could not stop PostgreSQL"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z ${TEST_DATABASE_URL:-} ]]; then
  status_file=$(mktemp)
  out=$(CARE_PG_STATUS_FILE=$status_file bash "$script_dir/start-postgres.sh")
  [[ $(<"$status_file") != started ]] || started_pg=1
  line=$(tail -n1 <<<"$out")
  [[ $line == TEST_DATABASE_URL=* ]] || { log "error: unexpected output from start-postgres.sh: $line"; exit 1; }
  export TEST_DATABASE_URL=${line#TEST_DATABASE_URL=}
fi

flags=("$@")
(( ${#flags[@]} )) || flags=(-bench Players -benchtime 1x -count 1)
echo "# exercise live-play benchmark — $(date -u +%Y-%m-%d) — $(nproc) cores — load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./internal/exercise -run '^$' -timeout 30m "${flags[@]}"
