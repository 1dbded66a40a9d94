package exposure

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"care/internal/testkit/tcp"
)

// A test host in a network namespace of the test's own, joined to this one by a
// veth pair: one port listens, one is closed, one is silently dropped by nftables.
// The scanner must tell the three apart. Traffic never leaves the machine: the
// namespace's prefix is blackholed in this namespace for the whole test, so a
// missing veth would drop packets instead of sending them away.
func TestFilteredPortInNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, tool)
		}
	}
	host := newTestHost(t, 1)
	addr := host.addrs[0]
	host.listen(t, addr, 8080)
	host.drop(t, 8443)

	obs, err := Scan(t.Context(), []netip.Addr{addr}, Options{Ports: []int{8080, 8081, 8443}, Every: true, Timeout: 700 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	states := map[int]State{}
	for _, o := range obs {
		states[o.Port] = o.State
	}
	if states[8080] != Open || states[8081] != Closed || states[8443] != Filtered {
		t.Errorf("states: %v, want 8080 open, 8081 closed, 8443 filtered", states)
	}
}

func missing(t *testing.T, tool string) {
	t.Helper()
	msg := tool + " is not installed (apt-get install iproute2 nftables)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// testHost is a namespace with n addresses in 10.254.<x>.0/24, reachable from here.
type testHost struct {
	ns    string
	veth  string // the namespace's end of the veth pair
	addrs []netip.Addr
}

func run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newTestHost(t testing.TB, n int) *testHost {
	t.Helper()
	id := os.Getpid() % 200
	prefix := fmt.Sprintf("10.254.%d", 20+id)
	vr, vt := fmt.Sprintf("cr%d", os.Getpid()), fmt.Sprintf("ct%d", os.Getpid())
	h := &testHost{ns: fmt.Sprintf("care-t%d", os.Getpid()), veth: vt}
	// The guard first: until the veth is up, the prefix goes nowhere.
	run(t, "ip", "route", "add", "blackhole", prefix+".0/24", "metric", "4000")
	t.Cleanup(func() { _ = exec.Command("ip", "route", "del", "blackhole", prefix+".0/24", "metric", "4000").Run() })
	run(t, "ip", "netns", "add", h.ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", h.ns).Run() })
	run(t, "ip", "link", "add", vr, "type", "veth", "peer", "name", vt)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", vr).Run() })
	run(t, "ip", "link", "set", vt, "netns", h.ns)
	run(t, "ip", "addr", "add", prefix+".254/24", "dev", vr)
	run(t, "ip", "link", "set", vr, "up")
	run(t, "ip", "-n", h.ns, "link", "set", "lo", "up")
	for i := 1; i <= n; i++ {
		a := netip.MustParseAddr(fmt.Sprintf("%s.%d", prefix, i))
		run(t, "ip", "-n", h.ns, "addr", "add", a.String()+"/24", "dev", vt)
		h.addrs = append(h.addrs, a)
	}
	run(t, "ip", "-n", h.ns, "link", "set", vt, "up")
	return h
}

// listen starts a listener inside the namespace: this test binary, re-run there as
// a helper process, ended by its PID when the test ends.
func (h *testHost) listen(t testing.TB, a netip.Addr, ports ...int) {
	t.Helper()
	var spec []string
	for _, p := range ports {
		spec = append(spec, net.JoinHostPort(a.String(), fmt.Sprint(p)))
	}
	cmd := exec.Command("ip", "netns", "exec", h.ns, os.Args[0], "-test.run=^TestNamespaceListener$")
	cmd.Env = append(os.Environ(), "CARE_TEST_LISTEN="+strings.Join(spec, ","))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", spec[0], 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the listener in %s never came up", h.ns)
}

// drop makes the namespace silently drop a port: it looks filtered from outside.
func (h *testHost) drop(t testing.TB, ports ...int) {
	t.Helper()
	run(t, "ip", "netns", "exec", h.ns, "nft", "add", "table", "inet", "t")
	run(t, "ip", "netns", "exec", h.ns, "nft", "add", "chain", "inet", "t", "in", "{ type filter hook input priority 0; policy accept; }")
	for _, p := range ports {
		run(t, "ip", "netns", "exec", h.ns, "nft", "add", "rule", "inet", "t", "in", "tcp", "dport", fmt.Sprint(p), "drop")
	}
}

// slow delays and loses what the namespace sends back: netem on its veth where the
// kernel has it, else the same in a relay process of the test's own (slowLink).
func (h *testHost) slow(t testing.TB, delay, jitter time.Duration, lossPercent int) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", h.ns, "tc", "qdisc", "add", "dev", h.veth, "root", "netem",
		"delay", delay.String(), jitter.String(), "loss", fmt.Sprintf("%d%%", lossPercent)).CombinedOutput()
	if err == nil {
		return
	}
	t.Logf("no netem in this kernel (%s): a relay delays and loses the packets", strings.TrimSpace(string(out)))
	back := h.addrs[0].As4()
	back[3] = 254 // this side of the veth (newTestHost)
	h.slowLink(t, netip.AddrFrom4(back).String(), delay, jitter, lossPercent)
}

// A slow and lossy link — answers delayed 80 ms ± 20 ms and 1 % of them lost — still gives every
// listening port as open and no other: the wait follows the round trip, and an
// attempt whose answer was lost is tried again.
func TestLateAnswersOnALossyLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "tc", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, tool)
		}
	}
	host := newTestHost(t, 1)
	addr := host.addrs[0]
	listening := []int{21, 22, 25, 80, 110, 143, 443, 587, 993, 995, 1433, 3306, 3389, 5432, 5900, 8080, 8443, 9000, 9200, 27017}
	host.listen(t, addr, listening...)
	host.slow(t, 80*time.Millisecond, 20*time.Millisecond, 1)
	// The link is slow indeed: no handshake completes before the shortest delay.
	for range 5 {
		start := time.Now()
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(addr, 22).String(), 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if rtt := time.Since(start); rtt < 60*time.Millisecond {
			t.Fatalf("a handshake took %v through a link that delays answers 80 ms ± 20 ms", rtt)
		}
	}
	var ports []int
	for p := 1; p <= 2000; p++ {
		ports = append(ports, p)
	}
	ports = append(ports, 3306, 3389, 5432, 5900, 8080, 8443, 9000, 9200, 27017)
	for run := range 3 {
		obs, err := Scan(t.Context(), []netip.Addr{addr}, Options{Ports: ports})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, o := range obs {
			got = append(got, o.Port)
		}
		if fmt.Sprint(got) != fmt.Sprint(listening) {
			t.Errorf("run %d: open %v, want %v", run, got, listening)
		}
	}
}

// TestNamespaceListener is not a test: it is the listener process of newTestHost,
// run inside the namespace; without CARE_TEST_LISTEN it does nothing.
func TestNamespaceListener(t *testing.T) {
	spec := os.Getenv("CARE_TEST_LISTEN")
	if spec == "" {
		t.Skip("helper process only")
	}
	for _, addr := range strings.Split(spec, ",") {
		tcp.Listen(t, addr, nil)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stop:
	case <-time.After(10 * time.Minute):
	}
}
