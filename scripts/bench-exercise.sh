#!/usr/bin/env bash
# Live play under load: 500 players following one exercise over SSE, on one
# instance (SQLite, then PostgreSQL) and on two instances sharing one PostgreSQL.
# Prints the delivery delays (p50/p95/p99, scheduled and sent-now stimuli), the
# machine's load average before and after (other work on the cores shows in the
# delays), the CPU of idle
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

# shellcheck source=scripts/test-postgres.sh
source "$script_dir/test-postgres.sh"
use_test_postgres

flags=("$@")
(( ${#flags[@]} )) || flags=(-bench Players -benchtime 1x -count 1)
echo "# exercise live-play benchmark — $(date -u +%Y-%m-%d) — $(nproc) cores — load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./internal/exercise -run '^$' -timeout 30m "${flags[@]}"
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
