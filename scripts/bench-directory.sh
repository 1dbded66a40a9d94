#!/usr/bin/env bash
# Measures the directory audit on Samba AD DCs of hospital size and of regional
# group size: 14,000 objects (10,000 users, 3,000 computers, 1,000 groups with
# members and nesting) and 100,000 objects in the same proportions, each on a DC on
# 127.0.0.1. Side by side with ldapsearch (OpenLDAP's client) reading the same
# objects and attributes over the same LDAPS with the same paging: the transfer
# any LDAP-based audit has to make. Prints wall time and peak memory (median of the
# runs), and the evaluation alone from a Go benchmark.
#
# Each domain is seeded once into a cached DC folder (.tmp/bench-directory/dc-SIZE
# of the repository; ldbadd of a generated LDIF in batches of 10,000 entries) and
# started again from there on the next runs: seeding takes a long while (14,000
# objects: 50 min on two cores shared with other work, about 20 ms of ldbadd CPU per
# entry and growing with the batch), measuring does not. Delete the folder to seed
# again; "scripts/bench-directory.sh 0 100000" seeds without a DC running (no lock).
# Without a DC, the same shapes of domain go through the collection's path from
# synthetic LDAP entries: CARE_SYNTHETIC_OBJECTS="14000 100000" go test
# ./internal/directory -run TestSyntheticCollectionMemory -v (peak RSS and heap).
# Not run by CI. Root; needs the Samba packages (scripts/samba-ad.sh --install) and
# GNU time.
# Usage: scripts/bench-directory.sh [runs, default 3; 0 seeds the cache only] [sizes, default "14000 100000"]
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
RUNS=${1:-3}
SIZES=${2:-14000 100000}
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "root is needed (Samba)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || apt-get install -y --no-install-recommends time >/dev/null

CACHE=$PWD/.tmp/bench-directory
WORK=$(mktemp -d /tmp/care-adbench-XXXX)
DC=
cleanup() { [[ -z $DC ]] || bash scripts/samba-ad.sh down "$DC" || true; rm -rf "$WORK"; }
trap cleanup EXIT
# The same lock the tests take: one DC at a time on 127.0.0.1 (seeding alone runs
# offline and needs no lock).
if [[ $RUNS -gt 0 ]]; then
  exec 9>"${TMPDIR:-/tmp}/care-samba-ad.lock"
  flock 9
fi

go build -o "$WORK/care" ./cmd/care
B="DC=care,DC=test"

# population SIZE DIR: the population of a SIZE-object domain as LDIF files of
# 10,000 entries each (DIR/pop-NNN.ldif, in order: the members exist before their
# groups). Users (a fifth dormant, some passwords that never expire, a few with
# SPNs), computers (workstations and servers, some old), groups of 25 users each,
# every tenth group nested in the one before; 10:3:1 as in a hospital's domain.
population() {
  local now
  now=$(( ($(date +%s) + 11644473600) * 10000000 ))
  awk -v B="$B" -v now="$now" -v size="$1" -v dir="$2" '
  function out() { n++; return sprintf("%s/pop-%03d.ldif", dir, int(n / 10000)) }
  BEGIN {
    day = 864000000000
    users = int(size * 10 / 14); computers = int(size * 3 / 14); groups = size - users - computers
    f = out(); printf "dn: OU=Personnel,%s\nobjectClass: organizationalUnit\n\n", B > f
    f = out(); printf "dn: OU=Postes,%s\nobjectClass: organizationalUnit\n\n", B > f
    f = out(); printf "dn: OU=Groupes,%s\nobjectClass: organizationalUnit\n\n", B > f
    for (i = 0; i < users; i++) {
      f = out()
      uac = (i % 33 == 0) ? 66048 : 512
      logon = (i % 5 == 0) ? now - 500 * day : now - (i % 20) * day
      printf "dn: CN=agent%06d,OU=Personnel,%s\nobjectClass: user\nsAMAccountName: agent%06d\nuserAccountControl: %d\nlastLogonTimestamp: %.0f\n", i, B, i, uac, logon > f
      if (i % 500 == 0) printf "servicePrincipalName: HTTP/app%06d.care.test\n", i > f
      printf "\n" > f
    }
    for (i = 0; i < computers; i++) {
      f = out()
      server = (i % 10 == 0)
      os = server ? "Windows Server 2019 Standard" : "Windows 11 Entreprise"
      ver = server ? "10.0 (17763)" : "10.0 (22631)"
      if (i % 97 == 0) { os = "Windows Server 2012 R2 Standard"; ver = "6.3 (9600)" }
      printf "dn: CN=PC%06d,OU=Postes,%s\nobjectClass: computer\nsAMAccountName: PC%06d$\nuserAccountControl: 4096\noperatingSystem: %s\noperatingSystemVersion: %s\ndNSHostName: pc%06d.care.test\nlastLogonTimestamp: %.0f\n\n", i, B, i, os, ver, i, now - (i % 30) * day > f
    }
    for (g = 0; g < groups; g++) {
      f = out()
      printf "dn: CN=G%05d,OU=Groupes,%s\nobjectClass: group\nsAMAccountName: G%05d\n", g, B, g > f
      for (k = 0; k < 25; k++) printf "member: CN=agent%06d,OU=Personnel,%s\n", (g * 25 + k) % users, B > f
      if (g % 10 == 1) printf "member: CN=G%05d,OU=Groupes,%s\n", g - 1, B > f
      printf "\n" > f
    }
  }'
}

# domain SIZE: start the cached DC of SIZE objects, seeding it first when the cache
# does not hold it (or holds a seeding that did not finish).
domain() {
  DC=$CACHE/dc-$1
  if [[ -f $DC/seeded ]]; then
    [[ $RUNS -gt 0 ]] || { DC=; return; }
    bash scripts/samba-ad.sh start "$DC" >/dev/null
    echo "domain of $1 objects: cached DC started"
    return
  fi
  mkdir -p "$CACHE"
  local dc=$DC start=$SECONDS
  DC= # nothing to stop: seeded offline, without the server's processes beside it
  # A seeding stopped half-way resumes after the last file added whole (each file
  # is one transaction; the dates of a resumed population are of the day it resumed).
  if [[ ! -f $dc/provisioned ]]; then
    rm -rf "$dc"
    bash scripts/samba-ad.sh provision "$dc" >/dev/null
    touch "$dc/provisioned"
  fi
  rm -rf "$WORK/pop"; mkdir -p "$WORK/pop"
  population "$1" "$WORK/pop"
  for f in "$WORK/pop"/pop-*.ldif; do
    [[ -f $dc/added-${f##*/} ]] && continue
    ldbadd --nosync -H "$dc/private/sam.ldb" "$f" >/dev/null
    touch "$dc/added-${f##*/}"
  done
  {
    printf 'dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\nadd: member\n' "$B"
    for i in $(seq 0 29); do printf 'member: CN=agent%06d,OU=Personnel,%s\n' $((i * 7)) "$B"; done
  } | ldbmodify -H "$dc/private/sam.ldb" >/dev/null
  touch "$dc/seeded"
  echo "domain of $1 objects: seeded in $((SECONDS - start)) s (cached in $dc)"
  [[ ${RUNS} -eq 0 ]] && return
  DC=$dc
  bash scripts/samba-ad.sh start "$DC" >/dev/null
}

echo 'Passw0rd!User1' > "$WORK/pw"
printf '%s' 'Passw0rd!User1' > "$WORK/pw.raw"   # ldapsearch -y takes the file as is
read -r -a attrs <<<"objectClass sAMAccountName objectSid userAccountControl primaryGroupID whenCreated whenChanged pwdLastSet lastLogonTimestamp adminCount servicePrincipalName msDS-AllowedToDelegateTo msDS-AllowedToActOnBehalfOfOtherIdentity msDS-SupportedEncryptionTypes operatingSystem operatingSystemVersion dNSHostName sIDHistory member trustPartner trustDirection trustAttributes trustType"
filter='(|(objectClass=user)(objectClass=group)(objectClass=trustedDomain)(objectClass=foreignSecurityPrincipal))'

# One run: wall seconds and peak resident memory (KiB) into $WORK/w.NAME and m.NAME.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/t" "$@" >"$WORK/out.$name" 2>"$WORK/err.$name" || { cat "$WORK/err.$name" >&2; exit 1; }
  read -r w m <"$WORK/t"
  echo "$w" >>"$WORK/w.$name"; echo "$m" >>"$WORK/m.$name"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mib() { echo "$(median "$1") / 1024" | bc -l; }

for size in $SIZES; do
  domain "$size"
  [[ $RUNS -gt 0 ]] || continue # runs 0: seed the cache only
  export LDAPTLS_CACERT=$DC/private/tls/ca.pem
  rm -f "$WORK"/w.* "$WORK"/m.*
  audit=("$WORK/care" adaudit --url ldaps://127.0.0.1 --bind-dn auditor@care.test --password-file "$WORK/pw" --ca-file "$LDAPTLS_CACERT" --format json)
  for _ in $(seq 1 "$RUNS"); do
    measure care "${audit[@]}"
    measure care-snapshot "${audit[@]}" --snapshot "$WORK/snap.care-ad"
    measure ldapsearch ldapsearch -x -H ldaps://127.0.0.1 -D auditor@care.test -y "$WORK/pw.raw" -E pr=1000/noprompt -b "$B" -LLL "$filter" "${attrs[@]}"
    measure care-offline "$WORK/care" adaudit --from-snapshot "$WORK/snap.care-ad" --format json
  done
  bash scripts/samba-ad.sh down "$DC"; DC=

  objects=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["objects"])' "$WORK/out.care")
  entries=$(grep -c '^dn: ' "$WORK/out.ldapsearch")
  level=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["level"], sum(c["status"]=="fail" for c in d["checks"]))' "$WORK/out.care")
  echo
  echo "== domain of $size objects: care read $objects (with the well-known principals), ldapsearch $entries; level and failed checkpoints: $level"
  echo "snapshot file: $(stat -c %s "$WORK/snap.care-ad") bytes, $(zcat "$WORK/snap.care-ad" | wc -c) bytes inflated"
  printf '%-48s %10s %14s\n' "median of $RUNS runs" "wall (s)" "peak RSS (MiB)"
  for tool in care care-snapshot care-offline ldapsearch; do
    case $tool in
      care) label="care adaudit (collect + evaluate)";;
      care-snapshot) label="care adaudit --snapshot (also write the file)";;
      care-offline) label="care adaudit --from-snapshot (evaluate only)";;
      ldapsearch) label="ldapsearch, same objects and attributes";;
    esac
    printf '%-48s %10s %14.1f\n' "$label" "$(median "$WORK/w.$tool")" "$(mib "$WORK/m.$tool")"
  done
  printf 'care / ldapsearch peak: %.2f (collect + evaluate), %.2f (with the file)\n' \
    "$(echo "$(median "$WORK/m.care") / $(median "$WORK/m.ldapsearch")" | bc -l)" \
    "$(echo "$(median "$WORK/m.care-snapshot") / $(median "$WORK/m.ldapsearch")" | bc -l)"
  # The evaluation alone, on the collected snapshot (Go benchmark, allocations).
  CARE_BENCH_SNAPSHOT=$WORK/snap.care-ad go test ./internal/directory -run '^$' -bench 'Evaluate' -benchtime 5x -benchmem | grep -E '^Benchmark'
done
