#!/usr/bin/env bash
# Run every fuzz target of the tree (func FuzzXxx in a _test.go file) for a
# bounded time each, one after the other; fail if any fails. Prints one line per
# target: its result, package, name and the seconds it took.
#
# Targets are found package by package, so new ones are picked up: the packages
# whose test files declare a func Fuzz…, then, in each, what its test binary lists
# for -test.list '^Fuzz' (what go test -list '^Fuzz' prints). The binary is built
# once per package with the fuzzing instrumentation (go test -c -fuzz) and run
# for each target, as go test -fuzz would, without a link per target.
#
# A failing input is written under the package's testdata/fuzz/FuzzXxx/ (commit
# it: it becomes a regression test run by go test), and the end of the target's
# log is shown.
#
# Usage: scripts/fuzz.sh [directories...]   (the whole tree by default)
#   FUZZTIME          time per target, a -fuzztime value: 8s by default, or 30s, 1000x…
#   FUZZMINIMIZETIME  time to minimise each new input, 1s by default (with seeds as
#                     large as the shipped kits, the 60 s default would spend a
#                     short run minimising instead of fuzzing)
#   FUZZTIMEOUT       bound on one target's run, 10m by default
set -euo pipefail

export GOTOOLCHAIN=go1.27.3

cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-8s}
minimize=${FUZZMINIMIZETIME:-1s}
timeout=${FUZZTIMEOUT:-10m}
(( $# )) || set -- .

log() { printf 'fuzz.sh: %s\n' "$*" >&2; }

work=$(mktemp -d)
# shellcheck disable=SC2317  # invoked via trap
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Packages with a fuzz target in their test files (testdata holds inputs, not code).
mapfile -t dirs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z0-9_]' "$@" | grep -v '/testdata/' | xargs -r -n1 dirname | sort -u)
if (( ${#dirs[@]} == 0 )); then
  log "no fuzz target in $*"
  exit 0
fi
for i in "${!dirs[@]}"; do
  case ${dirs[i]} in /* | ./*) ;; *) dirs[i]=./${dirs[i]} ;; esac   # a directory, not an import path
done
mapfile -t pkgs < <(go list -f '{{.ImportPath}} {{.Dir}}' "${dirs[@]}")
cache=$(go env GOCACHE)/fuzz

count=0
failed=0
start=$SECONDS
line() { printf '%-4s  %-32s %-30s %4ss\n' "$@"; }
for p in "${pkgs[@]}"; do
  read -r pkg dir <<<"$p"
  bin=$work/${pkg//\//_}.test
  t0=$SECONDS
  if ! go test -c -o "$bin" -fuzz '^Fuzz' "$pkg" >"$work/log" 2>&1 \
    || ! names=$(cd "$dir" && "$bin" -test.list '^Fuzz' 2>"$work/log"); then
    failed=$((failed + 1))
    line FAIL "$pkg" "(build)" "$((SECONDS - t0))"
    tail -n 40 "$work/log" | sed 's/^/      /'
    continue
  fi
  for name in $names; do
    count=$((count + 1))
    t0=$SECONDS
    if (cd "$dir" && "$bin" -test.run '^$' -test.fuzz "^${name}\$" -test.fuzztime "$fuzztime" \
      -test.fuzzminimizetime "$minimize" -test.fuzzcachedir "$cache/$pkg" -test.timeout "$timeout" \
      -test.paniconexit0) >"$work/log" 2>&1; then
      line ok "$pkg" "$name" "$((SECONDS - t0))"
    else
      failed=$((failed + 1))
      line FAIL "$pkg" "$name" "$((SECONDS - t0))"
      grep -v '^fuzz: elapsed' "$work/log" | tail -n 40 | sed 's/^/      /'
    fi
  done
done
log "$count targets, $failed failed, ${fuzztime} each, $((SECONDS - start))s in all"
(( failed == 0 ))
