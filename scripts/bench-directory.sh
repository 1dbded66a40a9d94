#!/usr/bin/env bash
# Measures the directory audit on a Samba AD DC of hospital size: 10,000 users,
# 3,000 computers and 1,000 groups (with members and nesting), created on a
# throw-away DC on 127.0.0.1. Side by side with ldapsearch (OpenLDAP's client)
# reading the same objects and attributes over the same LDAPS with the same paging:
# the transfer any LDAP-based audit has to make. Prints wall time and peak memory
# (median of the runs), and the evaluation alone from a Go benchmark.
# Root; needs the Samba packages (scripts/samba-ad.sh --install) and GNU time.
# Usage: scripts/bench-directory.sh [runs, default 3]
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
RUNS=${1:-3}
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "root is needed (Samba)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || apt-get install -y --no-install-recommends time >/dev/null

WORK=$(mktemp -d /tmp/care-adbench-XXXX)
DC=$WORK/dc
cleanup() { bash scripts/samba-ad.sh down "$DC" || true; rm -rf "$WORK"; }
trap cleanup EXIT
# The same lock the tests take: one DC at a time on 127.0.0.1.
exec 9>"${TMPDIR:-/tmp}/care-samba-ad.lock"
flock 9

go build -o "$WORK/care" ./cmd/care
bash scripts/samba-ad.sh up "$DC" >/dev/null
B="DC=care,DC=test"

# The population, as one LDIF: users (a fifth dormant, some passwords that never
# expire, a few with SPNs), computers (workstations and servers, some old), groups of
# 25 users each, every tenth group nested in the one before, 30 administrators.
now=$(( ($(date +%s) + 11644473600) * 10000000 ))
start=$SECONDS
awk -v B="$B" -v now="$now" 'BEGIN {
  day = 864000000000
  printf "dn: OU=Personnel,%s\nobjectClass: organizationalUnit\n\n", B
  printf "dn: OU=Postes,%s\nobjectClass: organizationalUnit\n\n", B
  printf "dn: OU=Groupes,%s\nobjectClass: organizationalUnit\n\n", B
  for (i = 0; i < 10000; i++) {
    uac = (i % 33 == 0) ? 66048 : 512
    logon = (i % 5 == 0) ? now - 500 * day : now - (i % 20) * day
    printf "dn: CN=agent%05d,OU=Personnel,%s\nobjectClass: user\nsAMAccountName: agent%05d\nuserAccountControl: %d\nlastLogonTimestamp: %.0f\n", i, B, i, uac, logon
    if (i % 500 == 0) printf "servicePrincipalName: HTTP/app%05d.care.test\n", i
    printf "\n"
  }
  for (i = 0; i < 3000; i++) {
    server = (i % 10 == 0)
    os = server ? "Windows Server 2019 Standard" : "Windows 11 Entreprise"
    ver = server ? "10.0 (17763)" : "10.0 (22631)"
    if (i % 97 == 0) { os = "Windows Server 2012 R2 Standard"; ver = "6.3 (9600)" }
    printf "dn: CN=PC%05d,OU=Postes,%s\nobjectClass: computer\nsAMAccountName: PC%05d$\nuserAccountControl: 4096\noperatingSystem: %s\noperatingSystemVersion: %s\ndNSHostName: pc%05d.care.test\nlastLogonTimestamp: %.0f\n\n", i, B, i, os, ver, i, now - (i % 30) * day
  }
  for (g = 0; g < 1000; g++) {
    printf "dn: CN=G%04d,OU=Groupes,%s\nobjectClass: group\nsAMAccountName: G%04d\n", g, B, g
    for (k = 0; k < 25; k++) printf "member: CN=agent%05d,OU=Personnel,%s\n", (g * 25 + k) % 10000, B
    if (g % 10 == 1) printf "member: CN=G%04d,OU=Groupes,%s\n", g - 1, B
    printf "\n"
  }
}' > "$WORK/population.ldif"
ldbadd -H "$DC/private/sam.ldb" "$WORK/population.ldif" >/dev/null
{
  printf 'dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\nadd: member\n' "$B"
  for i in $(seq 0 29); do printf 'member: CN=agent%05d,OU=Personnel,%s\n' $((i * 7)) "$B"; done
} | ldbmodify -H "$DC/private/sam.ldb" >/dev/null
echo "population created in $((SECONDS - start)) s"

echo 'Passw0rd!User1' > "$WORK/pw"
printf '%s' 'Passw0rd!User1' > "$WORK/pw.raw"   # ldapsearch -y takes the file as is
export LDAPTLS_CACERT=$DC/private/tls/ca.pem
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
audit=("$WORK/care" adaudit --url ldaps://127.0.0.1 --bind-dn auditor@care.test --password-file "$WORK/pw" --ca-file "$LDAPTLS_CACERT" --format json)
for _ in $(seq 1 "$RUNS"); do
  measure care "${audit[@]}"
  measure care-snapshot "${audit[@]}" --snapshot "$WORK/snap.care-ad"
  measure ldapsearch ldapsearch -x -H ldaps://127.0.0.1 -D auditor@care.test -y "$WORK/pw.raw" -E pr=1000/noprompt -b "$B" -LLL "$filter" "${attrs[@]}"
  measure care-offline "$WORK/care" adaudit --from-snapshot "$WORK/snap.care-ad" --format json
done

objects=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["objects"])' "$WORK/out.care")
entries=$(grep -c '^dn: ' "$WORK/out.ldapsearch")
level=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["level"], sum(c["status"]=="fail" for c in d["checks"]))' "$WORK/out.care")
echo "objects read: care $objects (with the well-known principals), ldapsearch $entries; level and failed checkpoints: $level"
echo "snapshot file: $(stat -c %s "$WORK/snap.care-ad") bytes, $(zcat "$WORK/snap.care-ad" | wc -c) bytes inflated"
printf '%-48s %10s %14s\n' "median of $RUNS runs" "wall (s)" "peak RSS (MiB)"
for tool in care care-snapshot care-offline ldapsearch; do
  label=$tool
  case $tool in
    care) label="care adaudit (collect + evaluate)";;
    care-snapshot) label="care adaudit --snapshot (also write the file)";;
    care-offline) label="care adaudit --from-snapshot (evaluate only)";;
    ldapsearch) label="ldapsearch, same objects and attributes";;
  esac
  printf '%-48s %10s %14.1f\n' "$label" "$(median "$WORK/w.$tool")" "$(echo "$(median "$WORK/m.$tool") / 1024" | bc -l)"
done
# The evaluation alone, on the collected snapshot (Go benchmark, allocations).
CARE_BENCH_SNAPSHOT=$WORK/snap.care-ad go test ./internal/directory -run '^$' -bench 'Evaluate' -benchtime 20x -benchmem | grep -E '^Benchmark'
