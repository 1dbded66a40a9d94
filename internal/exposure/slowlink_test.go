package exposure

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// A slow link without netem. Kernels built without sch_netem cannot delay packets
// with tc, so the test does what netem does in a process of its own: in the test
// host's namespace, the route back to this side goes into a TUN device; a relay
// process there reads each packet, loses it with the given probability or holds
// it for delay ± jitter (uniform, as netem without a distribution table), and
// writes it into a second TUN device on this side, where the kernel takes it as
// received. Only what the namespace sends back is slowed, as with netem on its
// veth. The relay is this test binary, run in the namespace and ended by its PID.

const (
	tunSetIff = 0x400454ca // TUNSETIFF, linux/if_tun.h
	iffTun    = 0x0001
	iffNoPI   = 0x1000
)

// openTun attaches to the TUN device name of the calling process's namespace.
func openTun(name string) (*os.File, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var req [40]byte // struct ifreq: the name, then the flags
	copy(req[:syscall.IFNAMSIZ-1], name)
	binary.NativeEndian.PutUint16(req[syscall.IFNAMSIZ:], iffTun|iffNoPI)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, e)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// slowLink routes the namespace's answers through the relay; back is this side's
// address on the veth (the scanner's source).
func (h *testHost) slowLink(t testing.TB, back string, delay, jitter time.Duration, lossPercent int) {
	t.Helper()
	here, there := fmt.Sprintf("cq%d", os.Getpid()), fmt.Sprintf("cu%d", os.Getpid())
	run(t, "ip", "tuntap", "add", "dev", here, "mode", "tun")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", here).Run() })
	run(t, "ip", "link", "set", here, "up")
	// Answers come in on the TUN device though the route to their source is the
	// veth: no reverse-path filter on either side.
	run(t, "sysctl", "-qw", "net.ipv4.conf."+here+".rp_filter=0")
	in, err := openTun(here)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close() // the relay holds its own copy
	run(t, "ip", "netns", "exec", h.ns, "ip", "tuntap", "add", "dev", there, "mode", "tun")
	run(t, "ip", "-n", h.ns, "link", "set", there, "up")
	run(t, "ip", "netns", "exec", h.ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf."+h.veth+".rp_filter=0")

	cmd := exec.Command("ip", "netns", "exec", h.ns, os.Args[0], "-test.run=^TestSlowLinkRelay$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("CARE_TEST_RELAY=%s,%d,%d,%d", there, delay, jitter, lossPercent))
	cmd.ExtraFiles = []*os.File{in} // fd 3 in the relay
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The route last: until the relay holds the device, answers take the veth.
	for i := 0; !relayAttached(h.ns, there); i++ {
		if i == 100 {
			t.Fatalf("the relay never attached to %s", there)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run(t, "ip", "-n", h.ns, "route", "add", back+"/32", "dev", there)
}

// relayAttached tells whether a process holds the TUN device: its carrier is up
// only then.
func relayAttached(ns, dev string) bool {
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/carrier").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
}

// TestSlowLinkRelay is not a test: it is the relay process of slowLink, run inside
// the namespace; without CARE_TEST_RELAY it does nothing.
func TestSlowLinkRelay(t *testing.T) {
	spec := strings.Split(os.Getenv("CARE_TEST_RELAY"), ",")
	if len(spec) != 4 {
		t.Skip("helper process only")
	}
	delay, _ := strconv.ParseInt(spec[1], 10, 64)
	jitter, _ := strconv.ParseInt(spec[2], 10, 64)
	loss, _ := strconv.Atoi(spec[3])
	from, err := openTun(spec[0])
	if err != nil {
		t.Fatal(err)
	}
	to := os.NewFile(3, "out")
	buf := make([]byte, 65536)
	for {
		n, err := from.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if rand.IntN(100) < loss {
			continue
		}
		packet := append([]byte(nil), buf[:n]...)
		wait := time.Duration(delay - jitter + rand.Int64N(2*jitter+1))
		time.AfterFunc(wait, func() { _, _ = to.Write(packet) })
	}
}
