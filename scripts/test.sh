#!/usr/bin/env bash
# Run the Go test suite against a throwaway PostgreSQL server (and Chromium
# for browser tests). Usage: scripts/test.sh [go test flags...]
# Without arguments the flags are: -count=1 -timeout 20m.
#   TEST_DATABASE_URL  if already set, that database is used and no server is
#                      started
#   CARE_CHROMIUM      if already set, used as the Chromium binary
#   CARE_AXE           if already set, the axe.min.js the browser journeys inject
#   CI=true            a missing Chromium is an error instead of a warning
set -euo pipefail

export GOTOOLCHAIN=go1.27.3

script_dir=$(cd "$(dirname "$0")" && pwd)
cd "$script_dir/.."   # go test ./... must run from the repository root

log() { printf 'test.sh: %s\n' "$*" >&2; }

# shellcheck source=scripts/test-postgres.sh
source "$script_dir/test-postgres.sh"
use_test_postgres
log "TEST_DATABASE_URL=$TEST_DATABASE_URL"

# ensure VAR SCRIPT WHAT: unless VAR is set, run SCRIPT (whose last stdout line
# is a path) and export VAR as that path; a failure is an error in CI and a
# warning elsewhere.
ensure() {
  local var=$1 script=$2 what=$3 out
  [[ -z ${!var:-} ]] || return 0
  if out=$(bash "$script_dir/$script"); then
    printf -v "$var" '%s' "$(tail -n1 <<<"$out")"
    export "${var?}"
    log "$var=${!var}"
  elif [[ ${CI:-} == true ]]; then
    log "error: $what is required in CI ($script)"
    exit 1
  else
    log "warning: $what not available; its tests may fail or be skipped"
  fi
}
ensure CARE_CHROMIUM ensure-chromium.sh Chromium
# axe-core, injected by the browser journeys into the main pages (accessibility).
ensure CARE_AXE ensure-axe.sh axe-core

# nftables makes a "filtered" port in the exposure tests' network namespace.
if ! command -v nft >/dev/null && [[ $(id -u) -eq 0 ]]; then
  [[ -n ${CARE_APT_UPDATED:-} ]] || apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nftables >/dev/null
fi

# LibreOffice opens the generated DOCX and ODT plans in the continuity tests.
if ! command -v soffice >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    log "installing libreoffice-writer-nogui"
    [[ -n ${CARE_APT_UPDATED:-} ]] || apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libreoffice-writer-nogui >/dev/null
  elif [[ ${CI:-} == true ]]; then
    log "error: LibreOffice is required in CI (apt-get install libreoffice-writer-nogui)"
    exit 1
  else
    log "warning: LibreOffice not available (apt-get install libreoffice-writer-nogui); its tests are skipped"
  fi
fi

if (( $# == 0 )); then
  set -- -count=1 -timeout 20m
fi

set +e
go test ./... "$@"
rc=$?
set -e
exit "$rc"
