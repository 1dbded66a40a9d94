# Sourced by the scripts that run tests or benchmarks against PostgreSQL:
#   source "$script_dir/test-postgres.sh"; use_test_postgres
# Needs script_dir and log() from the caller. Without TEST_DATABASE_URL, starts
# (or reuses) the throwaway server of start-postgres.sh and exports its URL; on
# exit, stops the server only if it started it here (a reused one stays up).

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

use_test_postgres() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  [[ -z ${TEST_DATABASE_URL:-} ]] || return 0
  status_file=$(mktemp)
  local out line
  out=$(CARE_PG_STATUS_FILE=$status_file bash "$script_dir/start-postgres.sh")
  [[ $(<"$status_file") != started ]] || started_pg=1
  line=$(tail -n1 <<<"$out")
  [[ $line == TEST_DATABASE_URL=* ]] || { log "error: unexpected output from start-postgres.sh: $line"; exit 1; }
  export TEST_DATABASE_URL=${line#TEST_DATABASE_URL=}
}
