#!/usr/bin/env bash
# Measures `care scan` side by side with nmap (-sT and -sS) on test hosts in a network
# namespace this script creates and removes: 65,535 ports of one host, 1,000 ports
# on 16 hosts, and the hard cases of hosts behind a firewall: one that silently
# drops ports 1000-1999, one that drops every port but a handful of services
# (65,535 ports each, with identification beside nmap -sV). Prints wall times (median of the runs) and checks that every tool
# finds the same open ports. Root; needs nmap, bc and python3 (which serves the
# listeners). Traffic stays on this machine (veth into the namespace, blackhole
# guard on the prefix).
# Usage: scripts/bench-exposure.sh [runs, default 3]
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
RUNS=${1:-3}
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-netns.sh
source scripts/bench-netns.sh
bench_netns 10.254.250 18

# Listeners: host 1 has 22, 80, 443, 3389, 8080 and 40000; hosts 2-16 have 22, 80,
# 443 and one port of their own (100 + host).
# Port 22 greets like an SSH server and ports 80 and 8080 answer like a web server,
# so that identification has something to identify; the others accept and close.
cat > "$WORK/listen.py" <<'PY'
import socket, selectors, sys, threading
def web(c):
    try:
        c.settimeout(5); c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nServer: Apache/2.4.58 (Debian)\r\nContent-Type: text/html\r\n\r\n<title>Intranet</title>")
    except OSError:
        pass
    c.close()
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(128); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, int(port))
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
        except OSError:
            continue
        c.setblocking(True)
        if key.data == 22:
            try: c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
            except OSError: pass
            c.close()
        elif key.data in (80, 8080):
            threading.Thread(target=web, args=(c,), daemon=True).start()
        else:
            c.close()
PY
SPECS=()
for p in 22 80 443 3389 8080 40000; do SPECS+=("$NET.1:$p"); done
for i in $(seq 2 16); do for p in 22 80 443 $((100 + i)); do SPECS+=("$NET.$i:$p"); done; done
# Host 17 drops ports 1000-1999 (1500 listens behind the drop); host 18 drops all
# but 22, 80, 443, 3389 and 8443.
for p in 22 80 443 1500 8080 40000; do SPECS+=("$NET.17:$p"); done
for p in 22 80 443 3389 8443; do SPECS+=("$NET.18:$p"); done
ip netns exec "$NS" nft -f - <<NFT
table inet firewall {
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr $NET.17 tcp dport 1000-1999 drop
    ip daddr $NET.18 tcp dport != { 22, 80, 443, 3389, 8443 } drop
  }
}
NFT
ip netns exec "$NS" python3 "$WORK/listen.py" "${SPECS[@]}" > "$WORK/listen.out" &
LPID=$!
for _ in $(seq 50); do grep -q ready "$WORK/listen.out" 2>/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Open ports as "address:port" lines, sorted.
care_open() { python3 -c 'import json,sys; print("\n".join(sorted({"%s:%d" % (l["address"], l["port"]) for l in json.load(sys.stdin)})))'; }
nmap_open() { grep -o 'Host: [0-9.]*.*Ports: .*' | python3 -c '
import re,sys
out=set()
for line in sys.stdin:
    host=line.split()[1]
    for m in re.finditer(r"(\d+)/open/tcp", line): out.add("%s:%s" % (host, m.group(1)))
print("\n".join(sorted(out)))'; }

bench() { # name, expected, command...
  local name=$1 expect=$2; shift 2
  local times=() out
  for _ in $(seq "$RUNS"); do
    local t0; t0=$(now)
    out=$("$@")
    times+=("$(echo "$(now) - $t0" | bc)")
  done
  local m; m=$(printf '%s\n' "${times[@]}" | median)
  local got; got=$(echo "$out" | $expect)
  printf '%-48s %8.2f s   %3d open ports   %s\n' "$name" "$m" "$(echo "$got" | grep -c . || true)" "$(echo "$got" | md5sum | cut -c1-8)"
}

echo "# exposure scan benchmark — $(date -u +%Y-%m-%d) — $(nproc) cores — median of $RUNS runs — network namespace over veth"
echo "## S1: one host, all 65,535 ports"
bench "care scan --ports all --identify=false"          care_open "$WORK/care" scan --lab --target "$NET.1" --ports all --identify=false --format json
bench "care scan --ports all (with identification)"    care_open "$WORK/care" scan --lab --target "$NET.1" --ports all --format json
bench "nmap -sT -p-"                                    nmap_open nmap -n -Pn -sT -p- "$NET.1" -oG -
bench "nmap -sS -p-"                                    nmap_open nmap -n -Pn -sS -p- "$NET.1" -oG -
echo "## S2: 16 hosts × ports 1-1000"
HOSTS=(); for i in $(seq 1 16); do HOSTS+=(--target "$NET.$i"); done
bench "care scan --ports 1-1000 --identify=false"       care_open "$WORK/care" scan --lab "${HOSTS[@]}" --ports 1-1000 --identify=false --format json
bench "care scan --ports 1-1000 (with identification)" care_open "$WORK/care" scan --lab "${HOSTS[@]}" --ports 1-1000 --format json
bench "nmap -sT -p 1-1000"                              nmap_open nmap -n -Pn -sT -p 1-1000 "$NET.1-16" -oG -
bench "nmap -sS -p 1-1000"                              nmap_open nmap -n -Pn -sS -p 1-1000 "$NET.1-16" -oG -
for h in 17 18; do
  case $h in 17) what="drops ports 1000-1999";; 18) what="drops every port but 5 services";; esac
  echo "## S$((h - 14)): one host that $what, all 65,535 ports"
  bench "care scan --ports all (with identification)"  care_open "$WORK/care" scan --lab --target "$NET.$h" --ports all --format json
  bench "care scan --ports all --identify=false"        care_open "$WORK/care" scan --lab --target "$NET.$h" --ports all --identify=false --format json
  bench "nmap -sT -T4 -p-"                               nmap_open nmap -n -Pn -sT -T4 -p- "$NET.$h" -oG -
  bench "nmap -sT -T4 -sV -p-"                           nmap_open nmap -n -Pn -sT -T4 -sV -p- "$NET.$h" -oG -
done
echo "(the last column is a digest of the open-port set: equal digests, equal sets)"
