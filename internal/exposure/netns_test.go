package exposure

import (
	"care/internal/testkit/tcp"
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
	h := &testHost{ns: fmt.Sprintf("care-t%d", os.Getpid())}
	vr, vt := fmt.Sprintf("cr%d", os.Getpid()), fmt.Sprintf("ct%d", os.Getpid())
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
