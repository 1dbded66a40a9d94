#!/usr/bin/env bash
# A throw-away Samba AD domain controller on loopback, for the directory-audit tests
# and benchmark. Needs root and the Samba AD packages (see --install).
#
#   scripts/samba-ad.sh --install        install the packages (apt), refuse daemons on real interfaces
#   scripts/samba-ad.sh up DIR           provision CARE.TEST into DIR and start it on 127.0.0.1
#   scripts/samba-ad.sh provision DIR    provision CARE.TEST into DIR without starting it
#   scripts/samba-ad.sh start DIR        start a DC provisioned into DIR (by up or provision)
#   scripts/samba-ad.sh seed DIR         write one misconfiguration per checkpoint (the failing cases)
#   scripts/samba-ad.sh fix DIR          repair them (the passing cases of the second audit)
#   scripts/samba-ad.sh level DIR N      set the domain and forest functional level (msDS-Behavior-Version)
#   scripts/samba-ad.sh down DIR         stop the DC started in DIR (by the PID in its pid file)
#
# Everything lives under DIR; DNS and NetBIOS are off; only loopback is bound.
# Test credentials: administrator@care.test / Passw0rd!Adm1n, auditor@care.test / Passw0rd!User1.
set -euo pipefail

REALM=CARE.TEST
DOMAIN=CARE
ADMIN_PASSWORD='Passw0rd!Adm1n'
AUDITOR_PASSWORD='Passw0rd!User1'

install() {
  command -v samba >/dev/null && command -v ldbmodify >/dev/null && return 0
  [[ $(id -u) -eq 0 ]] || { echo "samba-ad: root needed to install Samba" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  [[ -n ${CARE_APT_UPDATED:-} ]] || apt-get update
  apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision samba-dsdb-modules \
    samba-vfs-modules winbind ldb-tools ldap-utils python3-samba openssl
  # The packages must not have started daemons on real interfaces.
  if ss -ltnup | grep -E ':(53|88|135|137|138|139|389|445|636) ' | grep -vE '127\.0\.0\.1|\[::1\]'; then
    echo "samba-ad: Samba daemons listen on non-loopback addresses; stop them first" >&2
    exit 1
  fi
}

# start DIR: start the DC provisioned in DIR, with a fresh certificate: a cached DC
# (scripts/bench-directory.sh) is started this way, days after it was seeded.
start() {
  local t=$1
  if ss -ltn | grep -qE '127\.0\.0\.1:(389|636|88) '; then
    echo "samba-ad: LDAP or Kerberos ports of 127.0.0.1 already in use" >&2
    exit 1
  fi
  # Our own certificate: Samba's generated one may carry a negative serial, which Go refuses.
  mkdir -p "$t/private/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=dc1.care.test" \
    -addext "subjectAltName=DNS:dc1.care.test,IP:127.0.0.1" \
    -keyout "$t/private/tls/key.pem" -out "$t/private/tls/cert.pem" >/dev/null 2>&1
  cp "$t/private/tls/cert.pem" "$t/private/tls/ca.pem"
  chmod 0600 "$t/private/tls/key.pem"
  rm -f "$t/run/samba.pid"
  samba -s "$t/etc/smb.conf" -F --debug-stdout -d 1 >"$t/log/samba.stdout" 2>&1 &
  local samba_pid=$!
  # Up to three minutes: on two busy cores (the whole suite runs beside it) Samba
  # has been seen to take more than one.
  for _ in $(seq 1 360); do
    ldapsearch -x -H ldap://127.0.0.1 -s base -b "" dnsHostName >/dev/null 2>&1 && break
    kill -0 "$samba_pid" 2>/dev/null || break # samba exited: no use waiting
    sleep 0.5
  done
  ldapsearch -x -H ldap://127.0.0.1 -s base -b "" dnsHostName >/dev/null
}

# provision DIR: provision CARE.TEST into DIR with the auditor account, without
# starting it (the benchmark seeds its cached DCs offline).
provision() {
  local t=$1
  rm -rf "$t"; mkdir -p "$t"
  samba-tool domain provision --targetdir="$t" \
    --realm=$REALM --domain=$DOMAIN --server-role=dc \
    --host-name=dc1 --host-ip=127.0.0.1 --dns-backend=NONE \
    --function-level=2008_R2 --adminpass="$ADMIN_PASSWORD" \
    --option="interfaces=lo" --option="bind interfaces only=yes" \
    --option="disable netbios=yes" --option="server services=-dns -nbt -wrepl" \
    --option="dns update command=/bin/true" >"$t/provision.log" 2>&1
  mkdir -p "$t/run" "$t/log" "$t/ntp_signd"
  chmod 0750 "$t/ntp_signd"   # samba refuses to start otherwise
  # Runtime paths under $t; no DNS or SPN updates leave the machine.
  sed -i \
    -e "s|^\tserver services = .*|\tserver services = s3fs, rpc, ldap, cldap, kdc, drepl, winbindd, ntp_signd, kcc|" \
    -e "s|^\tlog file = .*|\tlog file = $t/log/log.%m|" \
    -e "/^\[global\]/a \\\tldap server require strong auth = no\n\tpid directory = $t/run\n\tncalrpc dir = $t/run/ncalrpc\n\tntp signd socket directory = $t/ntp_signd\n\tnsupdate command = /bin/true\n\tspn update command = /bin/true" \
    "$t/etc/smb.conf"
  samba-tool user create auditor "$AUDITOR_PASSWORD" -s "$t/etc/smb.conf" >/dev/null
}

up() {
  local t=$1
  # Another DC (or any LDAP server) on these ports would answer in our place.
  if ss -ltn | grep -qE '127\.0\.0\.1:(389|636|88) '; then
    echo "samba-ad: LDAP or Kerberos ports of 127.0.0.1 already in use" >&2
    exit 1
  fi
  provision "$t"
  start "$t"
  # the ldap/dc1.care.test principals Kerberos binds ask for (a local sam.ldb write)
  samba_spnupdate -s "$t/etc/smb.conf" >/dev/null 2>&1 || true
  echo "samba-ad: up, pid $(cat "$t/run/samba.pid")"
}

# Directory writes go straight to sam.ldb (the server stays up and sees them):
# one ldb process instead of a Python start per samba-tool call.
B="DC=care,DC=test"
ldb() { ldbmodify -H "$1/private/sam.ldb" "${@:2}" >/dev/null; }
ldb_add() { ldbadd -H "$1/private/sam.ldb" >/dev/null; }
# relax + bypass-password-hash: back-dated pwdLastSet and sIDHistory need them
ldb_relaxed() { ldb "$1" --controls=relax:0 --controls=local_oid:1.3.6.1.4.1.7165.4.3.12:0; }
filetime() { echo $(( ($(date +%s) - $1 * 86400 + 11644473600) * 10000000 )); }
pw() { printf '"%s"' "$AUDITOR_PASSWORD" | iconv -t UTF-16LE | base64 -w0; }
sid_of() { ldbsearch -H "$1/private/sam.ldb" -b "$B" "(sAMAccountName=$2)" objectSid | sed -n 's/^objectSid: //p'; }
# ldbsearch folds long values (continuation lines start with a space): unfold first
sddl_of() {
  ldbsearch -H "$1/private/sam.ldb" -b "$2" -s base nTSecurityDescriptor |
    awk '/^ /{printf "%s", substr($0, 2); next} {printf "\n%s", $0} END{print ""}' | sed -n 's/^nTSecurityDescriptor: //p'
}
# with_ace SDDL ACE: the descriptor with one more DACL entry (before the SACL)
with_ace() { python3 -c 'import sys; s,a=sys.argv[1],sys.argv[2]; i=s.find("S:",s.find("D:")); print(s[:i]+a+s[i:] if i>0 else s+a)' "$1" "$2"; }
set_sd() { printf 'dn: %s\nchangetype: modify\nreplace: nTSecurityDescriptor\nnTSecurityDescriptor: %s\n' "$2" "$3" | ldb "$1" --controls=sd_flags:1:15; }

user() { # DN-less user in OU=Lab: name uac [extra LDIF lines]
  printf 'dn: CN=%s,OU=Lab,%s\nobjectClass: user\nsAMAccountName: %s\nuserAccountControl: %s\nunicodePwd:: %s\n%s\n\n' "$1" "$B" "$1" "$2" "$(pw)" "${3:-}"
}
computer() { # name uac os version [extra]
  printf 'dn: CN=%s,OU=Lab,%s\nobjectClass: computer\nsAMAccountName: %s$\nuserAccountControl: %s\noperatingSystem: %s\noperatingSystemVersion: %s\ndNSHostName: %s.care.test\n%s\n\n' \
    "$1" "$B" "$1" "$2" "$3" "$4" "$(echo "$1" | tr A-Z a-z)" "${5:-}"
}
members() { # group DN, member DNs…
  local g=$1; shift
  printf 'dn: %s\nchangetype: modify\nadd: member\n' "$g"
  for m in "$@"; do printf 'member: %s\n' "$m"; done
  printf '\n'
}
lab() { echo "CN=$1,OU=Lab,$B"; }
PSO="CN=weak-admins,CN=Password Settings Container,CN=System,$B"

seed() {
  local t=$1 now old2006 old2012 i
  now=$(filetime 1); old2006=128000000000000000; old2012=130000000000000000
  {
    printf 'dn: OU=Lab,%s\nobjectClass: organizationalUnit\n\n' "$B"
    user asrep_user 4194816
    user asrep_admin 4194816 'adminCount: 1'
    user svc_sql 512 $'servicePrincipalName: MSSQLSvc/sql01.care.test:1433\nadminCount: 1'
    user neverexp_user 66048
    user deleg_user 524800
    user rev_admin 640 'adminCount: 1'
    user des_user 2097664
    user pg_admin 512 'adminCount: 1'
    user pg_user 512
    user orphan_user 512
    user sid_user 512
    user dcsync_user 512
    user helpdesk_user 512
    # dormant: idle since 2006, password back-dated below, and never expiring (31 of
    # about 100 enabled users, over ANSSI's 10 % for vuln_dont_expire)
    for i in $(seq -w 1 30); do user "dormant$i" 66048 "lastLogonTimestamp: $old2006"; done
    for i in $(seq -w 1 51); do user "opadm$i" 512 $'adminCount: 1\nlastLogonTimestamp: '"$now"; done
    computer SRV01 528384 "Windows Server 2008 R2 Standard" "6.1 (7601)" "lastLogonTimestamp: $now"
    computer SRV02 16781312 "Windows Server 2019 Standard" "10.0 (17763)" $'msDS-AllowedToDelegateTo: cifs/dc1.care.test\nlastLogonTimestamp: '"$now"
    computer SRVOLD 4096 "Windows Server 2016 Standard" "10.0 (14393)" "lastLogonTimestamp: $old2006"
    for g in Helpdesk Operateurs LoopA LoopB; do
      printf 'dn: CN=%s,OU=Lab,%s\nobjectClass: group\nsAMAccountName: %s\n\n' "$g" "$B" "$g"
    done
    # the trust account of partner.example, whose password the trust checkpoint reads;
    # Samba refuses to create one over LDAP: a disabled account, turned into one below
    printf 'dn: CN=PARTNER$,CN=Users,%s\nobjectClass: user\nsAMAccountName: PARTNER$\nuserAccountControl: 546\n\n' "$B"
    for p in partner.example:3:0 forest.example:2:72 inbound.example:1:2056; do
      IFS=: read -r name dir attrs <<<"$p"
      printf 'dn: CN=%s,CN=System,%s\nobjectClass: trustedDomain\ntrustPartner: %s\nflatName: %s\ntrustDirection: %s\ntrustType: 2\ntrustAttributes: %s\n\n' \
        "$name" "$B" "$name" "${name%%.*}" "$dir" "$attrs"
    done
    # a fine-grained password policy on an administrator: 6 characters, never expires
    # (vuln_privileged_members_password); the domain's own minimum is Samba's 7
    printf 'dn: %s\nobjectClass: msDS-PasswordSettings\nmsDS-PasswordSettingsPrecedence: 1\nmsDS-PasswordReversibleEncryptionEnabled: FALSE\nmsDS-PasswordHistoryLength: 24\nmsDS-PasswordComplexityEnabled: TRUE\nmsDS-MinimumPasswordLength: 6\nmsDS-MinimumPasswordAge: -864000000000\nmsDS-MaximumPasswordAge: -9223372036854775808\nmsDS-LockoutThreshold: 0\nmsDS-LockoutObservationWindow: -18000000000\nmsDS-LockoutDuration: -18000000000\nmsDS-PSOAppliesTo: %s\n\n' \
      "$PSO" "$(lab asrep_admin)"
  } | ldb_add "$t"
  local ops=() helpdesk_rid srv02_sid dc_sddl
  for i in $(seq -w 1 51); do ops+=("$(lab "opadm$i")"); done
  {
    members "CN=Domain Admins,CN=Users,$B" "$(lab svc_sql)" "$(lab pg_admin)"
    members "CN=Backup Operators,CN=Builtin,$B" "$(lab asrep_admin)"
    members "CN=Server Operators,CN=Builtin,$B" "$(lab rev_admin)"
    members "$(lab Helpdesk)" "$(lab neverexp_user)" "$(lab pg_user)"
    members "CN=Account Operators,CN=Builtin,$B" "$(lab Helpdesk)"
    members "$(lab Operateurs)" "${ops[@]}"
    members "CN=Print Operators,CN=Builtin,$B" "$(lab Operateurs)"
    members "$(lab LoopA)" "$(lab LoopB)"
    members "$(lab LoopB)" "$(lab LoopA)"
    members "CN=Pre-Windows 2000 Compatible Access,CN=Builtin,$B" "<SID=S-1-5-7>"
  } | ldb "$t"
  helpdesk_rid=$(sid_of "$t" Helpdesk); helpdesk_rid=${helpdesk_rid##*-}
  srv02_sid=$(sid_of "$t" 'SRV02$')
  ldb "$t" <<LDIF
dn: $(lab pg_admin)
changetype: modify
replace: primaryGroupID
primaryGroupID: 512

dn: $(lab pg_user)
changetype: modify
replace: primaryGroupID
primaryGroupID: $helpdesk_rid

dn: CN=Guest,CN=Users,$B
changetype: modify
replace: userAccountControl
userAccountControl: 66080

dn: $B
changetype: modify
replace: pwdProperties
pwdProperties: 17

dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,$B
changetype: modify
replace: dSHeuristics
dSHeuristics: 0000002101000001

dn: CN=DC1,OU=Domain Controllers,$B
changetype: modify
replace: operatingSystem
operatingSystem: Windows Server 2008 R2 Standard
-
replace: operatingSystemVersion
operatingSystemVersion: 6.1 (7601)
-
replace: msDS-SupportedEncryptionTypes
msDS-SupportedEncryptionTypes: 7
-
replace: lastLogonTimestamp
lastLogonTimestamp: $old2006
-
replace: msDS-AllowedToActOnBehalfOfOtherIdentity
msDS-AllowedToActOnBehalfOfOtherIdentity: O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;$srv02_sid)
LDIF
  ldb_relaxed "$t" <<LDIF
dn: CN=krbtgt,CN=Users,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $old2012

dn: $(lab svc_sql)
changetype: modify
replace: pwdLastSet
pwdLastSet: $old2012

dn: CN=DC1,OU=Domain Controllers,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $old2012

dn: CN=SRV01,OU=Lab,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $(filetime 100)

dn: CN=SRVOLD,OU=Lab,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $old2006

dn: CN=PARTNER\$,CN=Users,$B
changetype: modify
replace: userAccountControl
userAccountControl: 2080
-
replace: pwdLastSet
pwdLastSet: $old2012

$(for i in $(seq -w 1 30); do printf 'dn: %s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: %s\n\n' "$(lab "dormant$i")" "$old2006"; done)

dn: $(lab orphan_user)
changetype: modify
add: sIDHistory
sIDHistory: S-1-5-21-1111111111-2222222222-3333333333-1105

dn: $(lab sid_user)
changetype: modify
add: sIDHistory
sIDHistory: $(sid_of "$t" Administrator | sed 's/-500$/-512/')
LDIF
  # Samba 4.17's schema predates msDS-ExpirePasswordsOnSmartCardOnlyAccounts (2016):
  # add it (a test OID) so that fix can set it; the schema reloads between the steps.
  local schema=(--option="dsdb:schema update allowed=true")
  printf 'dn: CN=ms-DS-Expire-Passwords-On-Smart-Card-Only-Accounts,CN=Schema,CN=Configuration,%s\nchangetype: add\nobjectClass: top\nobjectClass: attributeSchema\ncn: ms-DS-Expire-Passwords-On-Smart-Card-Only-Accounts\nattributeID: 1.3.6.1.4.1.99999.7165.1\nattributeSyntax: 2.5.5.8\noMSyntax: 1\nisSingleValued: TRUE\nlDAPDisplayName: msDS-ExpirePasswordsOnSmartCardOnlyAccounts\nsearchFlags: 0\n\ndn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n' "$B" |
    ldb "$t" "${schema[@]}"
  printf 'dn: CN=Domain-DNS,CN=Schema,CN=Configuration,%s\nchangetype: modify\nadd: mayContain\nmayContain: msDS-ExpirePasswordsOnSmartCardOnlyAccounts\n\ndn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n' "$B" |
    ldb "$t" "${schema[@]}"
  # Permissions: keep the original descriptors for fix, then add the dangerous entries.
  mkdir -p "$t/sddl"
  local root="$B" holder="CN=AdminSDHolder,CN=System,$B" da="CN=Domain Admins,CN=Users,$B" rev
  rev=$(lab rev_admin)
  sddl_of "$t" "$root" >"$t/sddl/root"; sddl_of "$t" "$holder" >"$t/sddl/holder"
  sddl_of "$t" "$da" >"$t/sddl/da"; sddl_of "$t" "$rev" >"$t/sddl/rev"
  local dcsync helpdesk auditor
  dcsync=$(sid_of "$t" dcsync_user); helpdesk=$(sid_of "$t" helpdesk_user); auditor=$(sid_of "$t" auditor)
  # the domain head also gets helpdesk_user as owner: the owner checkpoint looks at
  # every object older than seven days, and everything else here is minutes old
  set_sd "$t" "$root" "$(with_ace "$(sed "s/^O:[^G]*G:/O:${helpdesk}G:/" "$t/sddl/root")" "(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;$dcsync)(OA;;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;$dcsync)(A;;GA;;;$(sid_of "$t" Administrator | sed 's/-500$/-527/'))")"
  set_sd "$t" "$holder" "$(with_ace "$(cat "$t/sddl/holder")" "(A;;GA;;;$helpdesk)")"
  set_sd "$t" "$da" "$(sed "s/^O:[^G]*G:/O:${helpdesk}G:/" "$t/sddl/da")"
  set_sd "$t" "$rev" "$(sed "s/D:\([A-Z]*\)/D:\1(D;;RC;;;$auditor)/" "$t/sddl/rev")"
  # PSOs are readable by administrators only, as on Windows: let the audit account
  # read the administrators' PSO, as a site would grant it for the audit
  local psc="CN=Password Settings Container,CN=System,$B"
  set_sd "$t" "$psc" "$(with_ace "$(sddl_of "$t" "$psc")" "(A;;RPLCLORC;;;$auditor)")"
  set_sd "$t" "$PSO" "$(with_ace "$(sddl_of "$t" "$PSO")" "(A;;RPLCLORC;;;$auditor)")"
  seed_config "$t"
  echo "samba-ad: seeded"
}

# dNSProperty value (MS-DNSP 2.3.2.1): DSPROPERTY_ZONE_ALLOW_UPDATE (id 2) = $1
zone_update() { python3 -c 'import base64,struct,sys; print(base64.b64encode(struct.pack("<5I", 1, 1, 0, 1, 2) + bytes([int(sys.argv[1]), 0])).decode())' "$1"; }

# seed_config: the permission, certificate-services, DNS, SYSVOL and
# service-account checkpoints (configuration partition and CN=System).
seed_config() {
  local t=$1 pki="CN=Public Key Services,CN=Services,CN=Configuration,$B" helpdesk auditor dc="CN=DC1,OU=Domain Controllers,$B"
  local gpo="CN={6AC1786C-016F-11D2-945F-00C04FB984F9},CN=Policies,CN=System,$B" schema="CN=Schema,CN=Configuration,$B"
  helpdesk=$(sid_of "$t" helpdesk_user); auditor=$(sid_of "$t" auditor)
  # a CA certificate with a 768-bit RSA key, and a value that is no certificate
  openssl req -x509 -newkey rsa:768 -nodes -days 30 -subj "/CN=CA1 faible" -keyout "$t/ca1.key" -out "$t/ca1.pem" >/dev/null 2>&1
  {
    # ESC1: enrollee supplies the subject of a client-authentication certificate
    printf 'dn: CN=CareUser,CN=Certificate Templates,%s\nobjectClass: pKICertificateTemplate\nmsPKI-Certificate-Name-Flag: 1\nmsPKI-Enrollment-Flag: 0\nmsPKI-RA-Signature: 0\npKIExtendedKeyUsage: 1.3.6.1.5.5.7.3.2\n\n' "$pki"
    printf 'dn: CN=CareWeb,CN=Certificate Templates,%s\nobjectClass: pKICertificateTemplate\nmsPKI-Certificate-Name-Flag: 1\npKIExtendedKeyUsage: 1.3.6.1.5.5.7.3.1\n\n' "$pki"
    printf 'dn: CN=CA1,CN=Enrollment Services,%s\nobjectClass: pKIEnrollmentService\ncertificateTemplates: CareUser\ncertificateTemplates: CareWeb\ncACertificate:: %s\ncACertificate:: %s\n\n' \
      "$pki" "$(openssl x509 -in "$t/ca1.pem" -outform DER | base64 -w0)" "$(printf 'not a certificate' | base64 -w0)"
    printf 'dn: CN=DnsAdmins,CN=Users,%s\nobjectClass: group\nsAMAccountName: DnsAdmins\ngroupType: -2147483644\nmember: %s\n\n' "$B" "$(lab helpdesk_user)"
    printf 'dn: CN=MicrosoftDNS,CN=System,%s\nobjectClass: container\n\n' "$B"
    printf 'dn: DC=care.test,CN=MicrosoftDNS,CN=System,%s\nobjectClass: dnsZone\ndNSProperty:: %s\n\n' "$B" "$(zone_update 1)"
    printf 'dn: CN=Domain System Volume (SYSVOL share),CN=File Replication Service,CN=System,%s\nobjectClass: nTFRSReplicaSet\n\n' "$B"
    printf 'dn: CN=CLUSTER01,OU=Lab,%s\nobjectClass: computer\nsAMAccountName: CLUSTER01$\nuserAccountControl: 4096\nservicePrincipalName: MSClusterVirtualServer/CLUSTER01\n\n' "$B"
    printf 'dn: CN=msa_app,CN=Managed Service Accounts,%s\nobjectClass: msDS-ManagedServiceAccount\nsAMAccountName: msa_app$\nuserAccountControl: 4096\n\n' "$B"
  } | ldb_add "$t"
  # the template's enrollment right for Domain Users (what ESC1 needs)
  set_sd "$t" "CN=CareUser,CN=Certificate Templates,$pki" "$(with_ace "$(sddl_of "$t" "CN=CareUser,CN=Certificate Templates,$pki")" "(OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DU)")"
  local dfsr="CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,$B" msdns="CN=MicrosoftDNS,CN=System,$B" ou="OU=Lab,$B"
  for o in "$dc" "$gpo" "$schema" "CN=CareWeb,CN=Certificate Templates,$pki" "CN=CA1,CN=Enrollment Services,$pki" "CN=Schema Admins,CN=Users,$B" "$dfsr" "$msdns" "$ou"; do
    sddl_of "$t" "$o" >"$t/sddl/$(echo "$o" | md5sum | cut -c1-12)"
  done
  set_sd "$t" "$dc" "$(with_ace "$(cat "$t/sddl/$(echo "$dc" | md5sum | cut -c1-12)")" "(A;;WD;;;$helpdesk)")"
  set_sd "$t" "$gpo" "$(with_ace "$(cat "$t/sddl/$(echo "$gpo" | md5sum | cut -c1-12)")" "(A;;GA;;;$helpdesk)")"
  set_sd "$t" "$schema" "$(with_ace "$(cat "$t/sddl/$(echo "$schema" | md5sum | cut -c1-12)")" "(A;;WO;;;$helpdesk)")"
  set_sd "$t" "$dfsr" "$(with_ace "$(cat "$t/sddl/$(echo "$dfsr" | md5sum | cut -c1-12)")" "(A;;GA;;;$helpdesk)")"
  set_sd "$t" "$msdns" "$(with_ace "$(cat "$t/sddl/$(echo "$msdns" | md5sum | cut -c1-12)")" "(A;;WO;;;$helpdesk)")"
  # helpdesk_user may link a GPO on the OU of the privileged lab accounts
  set_sd "$t" "$ou" "$(with_ace "$(cat "$t/sddl/$(echo "$ou" | md5sum | cut -c1-12)")" "(OA;;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;;$helpdesk)")"
  local web="CN=CareWeb,CN=Certificate Templates,$pki" ca="CN=CA1,CN=Enrollment Services,$pki" sa="CN=Schema Admins,CN=Users,$B"
  set_sd "$t" "$web" "$(with_ace "$(cat "$t/sddl/$(echo "$web" | md5sum | cut -c1-12)")" "(A;;GA;;;$helpdesk)")"
  set_sd "$t" "$ca" "$(with_ace "$(cat "$t/sddl/$(echo "$ca" | md5sum | cut -c1-12)")" "(A;;GA;;;$helpdesk)")"
  # Schema Admins unreadable for the auditor: a critical object the analysis cannot read
  set_sd "$t" "$sa" "$(sed "s/D:\([A-Z]*\)/D:\1(D;;RC;;;$auditor)/" "$t/sddl/$(echo "$sa" | md5sum | cut -c1-12)")"
  # Domain Admins: also under helpdesk_user's full control (a privileged group's permissions)
  set_sd "$t" "CN=Domain Admins,CN=Users,$B" "$(with_ace "$(sddl_of "$t" "CN=Domain Admins,CN=Users,$B")" "(A;;GA;;;$helpdesk)")"
  ldb "$t" <<LDIF
dn: CN=user-Display,CN=409,CN=DisplaySpecifiers,CN=Configuration,$B
changetype: modify
add: adminContextMenu
adminContextMenu: 9,Reset Password...,\\\\helpdesk\\tools\\resetpw.bat

dn: CN=DFSR-GlobalSettings,CN=System,$B
changetype: modify
replace: msDFSR-Flags
msDFSR-Flags: 0

dn: $dc
changetype: modify
replace: userAccountControl
userAccountControl: 8192
LDIF
  ldb_relaxed "$t" <<LDIF
dn: CN=CLUSTER01,OU=Lab,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: 130000000000000000

dn: CN=msa_app,CN=Managed Service Accounts,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $(filetime 200)
LDIF
}

fix_config() {
  local t=$1 pki="CN=Public Key Services,CN=Services,CN=Configuration,$B" now o
  now=$(filetime 1)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=CA1" -keyout "$t/ca1.key" -out "$t/ca1.pem" >/dev/null 2>&1
  for o in "CN=DC1,OU=Domain Controllers,$B" "CN={6AC1786C-016F-11D2-945F-00C04FB984F9},CN=Policies,CN=System,$B" "CN=Schema,CN=Configuration,$B" \
    "CN=CareWeb,CN=Certificate Templates,$pki" "CN=CA1,CN=Enrollment Services,$pki" "CN=Schema Admins,CN=Users,$B" \
    "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,$B" "CN=MicrosoftDNS,CN=System,$B" "OU=Lab,$B"; do
    set_sd "$t" "$o" "$(cat "$t/sddl/$(echo "$o" | md5sum | cut -c1-12)")"
  done
  ldb "$t" <<LDIF
dn: CN=CareUser,CN=Certificate Templates,$pki
changetype: modify
replace: msPKI-Certificate-Name-Flag
msPKI-Certificate-Name-Flag: 0

dn: CN=CA1,CN=Enrollment Services,$pki
changetype: modify
replace: cACertificate
cACertificate:: $(openssl x509 -in "$t/ca1.pem" -outform DER | base64 -w0)

dn: CN=DnsAdmins,CN=Users,$B
changetype: modify
delete: member

dn: DC=care.test,CN=MicrosoftDNS,CN=System,$B
changetype: modify
replace: dNSProperty
dNSProperty:: $(zone_update 2)

dn: CN=user-Display,CN=409,CN=DisplaySpecifiers,CN=Configuration,$B
changetype: modify
delete: adminContextMenu
adminContextMenu: 9,Reset Password...,\\\\helpdesk\\tools\\resetpw.bat

dn: CN=DFSR-GlobalSettings,CN=System,$B
changetype: modify
replace: msDFSR-Flags
msDFSR-Flags: 48

dn: CN=DC1,OU=Domain Controllers,$B
changetype: modify
replace: userAccountControl
userAccountControl: 532480
LDIF
  ldb_relaxed "$t" <<LDIF
dn: CN=CLUSTER01,OU=Lab,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $now

dn: CN=msa_app,CN=Managed Service Accounts,$B
changetype: modify
replace: pwdLastSet
pwdLastSet: $now
LDIF
}

fix() {
  local t=$1 now i
  now=$(filetime 1)
  {
    for u in asrep_user asrep_admin neverexp_user deleg_user rev_admin des_user; do
      printf 'dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n\n' "$(lab $u)"
    done
    for i in $(seq -w 1 30); do
      printf 'dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n\n' "$(lab "dormant$i")"
    done
    for g in "CN=Print Operators,CN=Builtin,$B:$(lab Operateurs)" "CN=Account Operators,CN=Builtin,$B:$(lab Helpdesk)" \
      "CN=Backup Operators,CN=Builtin,$B:$(lab asrep_admin)" "CN=Server Operators,CN=Builtin,$B:$(lab rev_admin)" \
      "$(lab LoopB):$(lab LoopA)" "CN=Pre-Windows 2000 Compatible Access,CN=Builtin,$B:CN=Anonymous Logon,CN=WellKnown Security Principals,CN=Configuration,$B"; do
      printf 'dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n\n' "${g%%:*}" "${g#*:}"
    done
    printf 'dn: %s\nchangetype: modify\nreplace: primaryGroupID\nprimaryGroupID: 513\n\n' "$(lab pg_admin)" "$(lab pg_user)"
    printf 'dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\ndelete: member\nmember: %s\nmember: %s\n\n' "$B" "$(lab svc_sql)" "$(lab pg_admin)"
    printf 'dn: CN=Protected Users,CN=Users,%s\nchangetype: modify\nadd: member\nmember: CN=Administrator,CN=Users,%s\n\n' "$B" "$B"
    for a in "$(lab svc_sql)" "CN=dns-dc1,CN=Users,$B"; do
      printf 'dn: %s\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: 24\n\n' "$a"
    done
    printf 'dn: CN=SRV01,OU=Lab,%s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 4096\n\n' "$B"
    printf 'dn: CN=SRV02,OU=Lab,%s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 4096\n-\ndelete: msDS-AllowedToDelegateTo\n\n' "$B"
    printf 'dn: CN=SRVOLD,OU=Lab,%s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 4098\n\n' "$B"
    printf 'dn: CN=Guest,CN=Users,%s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 66082\n\n' "$B"
    printf 'dn: %s\nchangetype: modify\nreplace: pwdProperties\npwdProperties: 1\n-\nreplace: ms-DS-MachineAccountQuota\nms-DS-MachineAccountQuota: 0\n-\nreplace: minPwdLength\nminPwdLength: 12\n\n' "$B"
    # the administrators' PSO: 12 characters, passwords expire after 90 days
    printf 'dn: %s\nchangetype: modify\nreplace: msDS-MinimumPasswordLength\nmsDS-MinimumPasswordLength: 12\n-\nreplace: msDS-MaximumPasswordAge\nmsDS-MaximumPasswordAge: -77760000000000\n\n' "$PSO"
    # ANSSI's level-5 value: defaults, with the KB5008383 protections enforced
    printf 'dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,%s\nchangetype: modify\nreplace: dSHeuristics\ndSHeuristics: 0000000001000000000200000001130\n\n' "$B"
    printf 'dn: CN=DC1,OU=Domain Controllers,%s\nchangetype: modify\nreplace: operatingSystem\noperatingSystem: Windows Server 2022 Standard\n-\nreplace: operatingSystemVersion\noperatingSystemVersion: 10.0 (20348)\n-\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: 24\n-\nreplace: lastLogonTimestamp\nlastLogonTimestamp: %s\n-\ndelete: msDS-AllowedToActOnBehalfOfOtherIdentity\n\n' "$B" "$now"
    printf 'dn: CN=partner.example,CN=System,%s\nchangetype: modify\nreplace: trustAttributes\ntrustAttributes: 4\n\n' "$B"
    printf 'dn: CN=forest.example,CN=System,%s\nchangetype: modify\nreplace: trustAttributes\ntrustAttributes: 8\n\n' "$B"
    printf 'dn: CN=inbound.example,CN=System,%s\nchangetype: modify\nreplace: trustAttributes\ntrustAttributes: 8\n\n' "$B"
  } | ldb "$t"
  {
    for a in "CN=krbtgt,CN=Users,$B" "CN=DC1,OU=Domain Controllers,$B" "CN=SRV01,OU=Lab,$B" "CN=PARTNER\$,CN=Users,$B"; do
      printf 'dn: %s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: %s\n\n' "$a" "$now"
    done
    for u in orphan_user sid_user; do
      printf 'dn: %s\nchangetype: modify\ndelete: sIDHistory\n\n' "$(lab $u)"
    done
  } | ldb_relaxed "$t"
  printf 'dn: %s\nchangetype: modify\nreplace: msDS-ExpirePasswordsOnSmartCardOnlyAccounts\nmsDS-ExpirePasswordsOnSmartCardOnlyAccounts: TRUE\n' "$B" | ldb "$t"
  level "$t" 10
  set_sd "$t" "$B" "$(cat "$t/sddl/root")"
  set_sd "$t" "CN=AdminSDHolder,CN=System,$B" "$(cat "$t/sddl/holder")"
  set_sd "$t" "CN=Domain Admins,CN=Users,$B" "$(cat "$t/sddl/da")"
  set_sd "$t" "$(lab rev_admin)" "$(cat "$t/sddl/rev")"
  fix_config "$t"
  echo "samba-ad: fixed"
}

# level DIR N: the domain and forest functional level, as msDS-Behavior-Version
# (Samba 4.17 cannot raise itself above 2008 R2; the audit only reads the value).
level() {
  printf 'dn: %s\nchangetype: modify\nreplace: msDS-Behavior-Version\nmsDS-Behavior-Version: %d\n\ndn: CN=Partitions,CN=Configuration,%s\nchangetype: modify\nreplace: msDS-Behavior-Version\nmsDS-Behavior-Version: %d\n' \
    "$B" "$2" "$B" "$2" | ldb "$1" --controls=relax:0
}

down() {
  local t=$1 pid
  [[ -f $t/run/samba.pid ]] || return 0
  pid=$(cat "$t/run/samba.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  echo "samba-ad: $pid did not stop" >&2
  return 1
}

case ${1:-} in
  --install) install ;;
  up) up "${2:?directory}" ;;
  provision) provision "${2:?directory}" ;;
  start) start "${2:?directory}" ;;
  seed) seed "${2:?directory}" ;;
  fix) fix "${2:?directory}" ;;
  level) level "${2:?directory}" "${3:?level}" ;;
  down) down "${2:?directory}" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
