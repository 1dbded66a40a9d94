# Sourced by the benchmark scripts (bench-exposure.sh, bench-identify.sh), from
# the repository's root, as root: checks for nmap, builds care into $WORK, and
# `bench_netns NET N` makes a network namespace $NS joined to this one by a veth
# pair, with the addresses NET.1 to NET.N, and a blackhole guard on NET.0/24 so
# that no test traffic can leave the machine. Everything (and the listener $LPID
# when set) goes away on exit.
command -v nmap >/dev/null || { echo "nmap is needed: apt-get install nmap" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "root is needed for network namespaces" >&2; exit 1; }

NS=care-bench-$$; VR=cbr$$; VT=cbt$$; NET=''
WORK=$(mktemp -d); LPID=''
cleanup() {
  [[ -z $LPID ]] || kill "$LPID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VR" 2>/dev/null || true
  [[ -z $NET ]] || ip route del blackhole "$NET.0/24" metric 4000 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
go build -o "$WORK/care" ./cmd/care

bench_netns() { # NET N
  NET=$1
  ip route add blackhole "$NET.0/24" metric 4000
  ip netns add "$NS"
  ip link add "$VR" type veth peer name "$VT"
  ip link set "$VT" netns "$NS"
  ip addr add "$NET.254/24" dev "$VR"; ip link set "$VR" up
  ip -n "$NS" link set lo up
  for i in $(seq 1 "$2"); do ip -n "$NS" addr add "$NET.$i/24" dev "$VT"; done
  ip -n "$NS" link set "$VT" up
}
