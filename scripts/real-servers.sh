#!/usr/bin/env bash
# Installs the Debian packages of the real servers the exposure identification
# tests start in a network namespace of their own (TestRealServers): OpenSSH,
# vsftpd, nginx, lighttpd, Apache httpd, Exim, Redis, memcached, tinyproxy,
# MariaDB, Dovecot (PostgreSQL comes from scripts/start-postgres.sh). The
# packages' own services are not started: the tests start each server
# themselves, in the foreground, inside their namespace.
#
# Usage: scripts/real-servers.sh --install   (root; CARE_APT_UPDATED=1 when the
#        caller already ran apt-get update)
set -euo pipefail
packages=(openssh-server vsftpd nginx lighttpd apache2 exim4-daemon-light redis-server memcached tinyproxy mariadb-server dovecot-imapd dovecot-pop3d)
[[ ${1:-} == --install ]] || { echo "usage: $0 --install" >&2; exit 2; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
(( ${#missing[@]} )) || exit 0
[[ $(id -u) -eq 0 ]] || { echo "real-servers: root is needed to install ${missing[*]}" >&2; exit 1; }
# No package starts its service: a policy-rc.d that denies every start, for the
# time of the install only when there was none.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
[[ ${CARE_APT_UPDATED:-} == 1 ]] || apt-get update
start=$SECONDS
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
echo "real-servers: installed ${#missing[@]} packages in $((SECONDS - start)) s" >&2
