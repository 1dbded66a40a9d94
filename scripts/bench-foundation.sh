#!/usr/bin/env bash
# Measures the platform foundation on loopback, on SQLite and on PostgreSQL:
#   - idle memory (VmRSS) of `care serve --demo` once started and settled;
#   - requests per second and latency percentiles (wrk) of an authenticated page
#     (/organisations, session cookie) and of GET /api/v1/orgs (bearer token).
# Usage: scripts/bench-foundation.sh [seconds per run, default 10]
# Needs wrk (apt-get install wrk); starts its own PostgreSQL with start-postgres.sh.
# Traffic goes to 127.0.0.1 only; the runs are bounded in time.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

duration=${1:-10}
script_dir=$(cd "$(dirname "$0")" && pwd)
cd "$script_dir/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
server_pid=''
cleanup() {
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/care" ./cmd/care
addr=127.0.0.1:18181

pg_url=$(bash scripts/start-postgres.sh | tail -n1)
pg_url=${pg_url#TEST_DATABASE_URL=}
psql "$pg_url" -qc "DROP DATABASE IF EXISTS care_bench WITH (FORCE)" -c "CREATE DATABASE care_bench" >/dev/null

run_engine() {
  local engine=$1 db=$2
  "$work/care" serve --demo --addr "$addr" --db "$db" >"$work/serve.out" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
  sleep 3 # let start-up garbage be collected before reading the idle memory
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")

  local token cookie
  token=$("$work/care" token create --db "$db" --user rssi.ght@demo.care.test | tail -n1)
  cookie=$(curl -s -D - -o /dev/null -d 'email=direction@demo.care.test&password=demo-care-2026' "http://$addr/connexion" \
    | awk -F'[=;]' '/^Set-Cookie: care_session=/ {print $2}')

  echo "## $engine — idle memory after start with demo data: $((rss / 1024)) MiB (VmRSS $rss kB)"
  echo "### authenticated page GET /organisations (session cookie)"
  wrk -t2 -c16 -d"${duration}s" --latency -H "Cookie: care_session=$cookie" "http://$addr/organisations" | grep -E 'Requests/sec|Latency|50%|90%|99%|Non-2xx'
  echo "### GET /api/v1/orgs (bearer token, GHT RSSI: 7 nodes)"
  wrk -t2 -c16 -d"${duration}s" --latency -H "Authorization: Bearer $token" "http://$addr/api/v1/orgs" | grep -E 'Requests/sec|Latency|50%|90%|99%|Non-2xx'
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=''
}

echo "# care foundation benchmark — $(date -u +%Y-%m-%d) — $(nproc) cores, wrk -t2 -c16 -d${duration}s on loopback"
run_engine sqlite "$work/bench.db"
run_engine postgres "${pg_url%/postgres*}/care_bench?sslmode=disable"
