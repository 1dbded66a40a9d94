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
command -v nmap >/dev/null || { echo "nmap is needed: apt-get install nmap" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "root is needed for network namespaces" >&2; exit 1; }

NS=care-bid-$$; VR=cbi$$; VT=cbj$$; NET=10.254.251
WORK=$(mktemp -d); LPID=''
cleanup() {
  [[ -z $LPID ]] || kill "$LPID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VR" 2>/dev/null || true
  ip route del blackhole "$NET.0/24" metric 4000 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
go build -o "$WORK/care" ./cmd/care
RECORDED=internal/exposure/testdata/banners/recorded.json
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$RECORDED")
(( N <= 250 )) || { echo "more than 250 recorded banners: one /24 is not enough" >&2; exit 1; }

ip route add blackhole "$NET.0/24" metric 4000
ip netns add "$NS"
ip link add "$VR" type veth peer name "$VT"
ip link set "$VT" netns "$NS"
ip addr add "$NET.254/24" dev "$VR"; ip link set "$VR" up
ip -n "$NS" link set lo up
for i in $(seq 1 "$N"); do ip -n "$NS" addr add "$NET.$i/24" dev "$VT"; done
ip -n "$NS" link set "$VT" up

# Banner i is served on $NET.i at its port: its greeting, or for HTTP the answer
# to any request with the recorded Server header; a MySQL handshake around the
# recorded version.
cat > "$WORK/serve.py" <<'PY'
import json, selectors, socket, struct, sys, threading
net, rows = sys.argv[1], json.load(open(sys.argv[2]))
def reply(r):
    if r["protocol"] == "http":
        return ("HTTP/1.0 200 OK\r\nServer: %s\r\nContent-Type: text/html\r\n\r\n<html></html>" % r["banner"]).encode()
    if r["protocol"] == "mysql":
        p = b"\x0a" + r["banner"].encode() + b"\x00\x01\x00\x00\x00"
        return bytes([len(p), 0, 0, 0]) + p
    return r["banner"].encode("latin-1")
def http(c, data):
    try:
        c.settimeout(5); c.recv(4096); c.sendall(data)
    except OSError:
        pass
    c.close()
sel = selectors.DefaultSelector()
for i, r in enumerate(rows, 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("%s.%d" % (net, i), r["port"])); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (r["protocol"] == "http", reply(r)))
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
        except OSError:
            continue
        c.setblocking(True)
        is_http, data = key.data
        if is_http:
            threading.Thread(target=http, args=(c, data), daemon=True).start()
        else:
            try: c.sendall(data)
            except OSError: pass
            threading.Timer(10, c.close).start()  # keep it open, as a real server does
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
