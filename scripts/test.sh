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

if [[ -z ${CARE_CHROMIUM:-} ]]; then
  if out=$(bash "$script_dir/ensure-chromium.sh"); then
    CARE_CHROMIUM=$(tail -n1 <<<"$out")
    export CARE_CHROMIUM
    log "CARE_CHROMIUM=$CARE_CHROMIUM"
  elif [[ ${CI:-} == true ]]; then
    log "error: Chromium is required in CI"
    exit 1
  else
    log "warning: Chromium not available; browser tests may fail or be skipped"
  fi
fi

# axe-core, injected by the browser journeys into the main pages (accessibility).
if [[ -z ${CARE_AXE:-} ]]; then
  if out=$(bash "$script_dir/ensure-axe.sh"); then
    CARE_AXE=$(tail -n1 <<<"$out")
    export CARE_AXE
    log "CARE_AXE=$CARE_AXE"
  elif [[ ${CI:-} == true ]]; then
    log "error: axe-core is required in CI (scripts/ensure-axe.sh)"
    exit 1
  else
    log "warning: axe-core not available; the accessibility checks are skipped"
  fi
fi

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
