#!/usr/bin/env bash
# Service identification, `care scan` side by side with `nmap -sV`:
#  1. the recorded banners of internal/exposure/testdata/banners/recorded.json
#     (written by us), each served on its own address of a network namespace
#     this script creates, on its protocol's standard port;
#  2. the real servers of the Debian packages (TestRealServers, run with
#     CARE_BENCH_NMAP=1, which scans them with both tools).
# Prints, per protocol, the share of services whose product each tool names,
# the share of exact versions (over the services that say one), and the wall
# time of each tool. Root; needs nmap and python3. Traffic stays on this
# machine (veth into the namespace, blackhole guard on the prefix).
# Usage: scripts/bench-identify.sh [--care-only]   (--care-only: no nmap, no real servers)
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-netns.sh
source scripts/bench-netns.sh
RECORDED=internal/exposure/testdata/banners/recorded.json
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$RECORDED")
(( N <= 250 )) || { echo "more than 250 recorded banners: one /24 is not enough" >&2; exit 1; }

bench_netns 10.254.251 "$N"

# Banner i is served on $NET.i at its port: its greeting, or for HTTP the answer
# to any request with the recorded Server header; a MySQL handshake around the
# recorded version.
cat > "$WORK/serve.py" <<'PY'
import json, socketserver, sys, threading
net, rows = sys.argv[1], json.load(open(sys.argv[2]))
def reply(r):
    if r["protocol"] == "http":
        return ("HTTP/1.0 200 OK\r\nServer: %s\r\nContent-Type: text/html\r\n\r\n<html></html>" % r["banner"]).encode()
    if r["protocol"] == "mysql":
        p = b"\x0a" + r["banner"].encode() + b"\x00\x01\x00\x00\x00"
        return bytes([len(p), 0, 0, 0]) + p
    return r["banner"].encode("latin-1")
class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c, http = self.request, self.server.row["protocol"] == "http"
        c.settimeout(10)
        try:
            if http:
                c.recv(4096)
            c.sendall(self.server.reply)
            if not http:
                c.recv(1)  # open until the client goes (10 s at most), as a real server
        except OSError:
            pass
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address, daemon_threads, request_queue_size = True, True, 64
for i, r in enumerate(rows, 1):
    s = Server(("%s.%d" % (net, i), r["port"]), Handler)
    s.row, s.reply = r, reply(r)
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
ip netns exec "$NS" python3 "$WORK/serve.py" "$NET" "$RECORDED" > "$WORK/serve.out" &
LPID=$!
for _ in $(seq 100); do grep -q ready "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
PORTS=$(python3 -c 'import json,sys; print(",".join(sorted({str(r["port"]) for r in json.load(open(sys.argv[1]))}, key=int)))' "$RECORDED")

now() { date +%s.%N; }
t0=$(now); "$WORK/care" scan --lab --target "$NET.0/24" --ports "$PORTS" --format json > "$WORK/care.json"; t1=$(now)
NMAP_XML=-
if [[ ${1:-} != --care-only ]]; then
  NMAP_XML=$WORK/nmap.xml
  nmap -n -Pn -sT -sV -p "$PORTS" "$NET.1-$N" -oX "$NMAP_XML" > /dev/null
fi
t2=$(now)
CARE_S=$(echo "$t1 - $t0" | bc); NMAP_S=$(echo "$t2 - $t1" | bc)

echo "# service identification benchmark — $(date -u +%Y-%m-%d) — $(nproc) cores — network namespace over veth"
echo "## recorded banners ($N, written by us: $RECORDED)"
python3 scripts/bench-identify.py "$NET" "$RECORDED" "$WORK/care.json" "$NMAP_XML" "$CARE_S" "$NMAP_S"
[[ ${1:-} != --care-only ]] || exit 0
echo "## real servers of the Debian packages (TestRealServers)"
CARE_BENCH_NMAP=1 go test ./internal/exposure -count=1 -run '^TestRealServers$' -v 2>&1 | grep -E 'bench|PASS|FAIL|ok' || true
