package exposure

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fuzzResolver answers every name with the addresses the fuzzer chose.
type fuzzResolver []netip.Addr

func (r fuzzResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

// addrsFrom cuts raw bytes into IPv4 (4 bytes) and IPv6 (16 bytes) addresses, as
// a resolver might return them: the first byte picks the family.
func addrsFrom(raw []byte) []netip.Addr {
	var out []netip.Addr
	for len(raw) > 0 && len(out) < 16 {
		six := raw[0]&1 == 1
		raw = raw[1:]
		switch {
		case six && len(raw) >= 16:
			out = append(out, netip.AddrFrom16([16]byte(raw[:16])))
			raw = raw[16:]
		case !six && len(raw) >= 4:
			out = append(out, netip.AddrFrom4([4]byte(raw[:4])))
			raw = raw[4:]
		default:
			return out
		}
	}
	return out
}

// FuzzParseTarget: a declared target parses the same from its stored text, holds
// at most a /24's worth of addresses, all inside its block, and outside lab mode the
// scope never lets through an address that is not public, whatever the target
// says or its name resolves to.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"93.184.216.34", "93.184.216.0/30", "2a00:1450:4007:80b::200e", "2a00:1450::/120", "www.chu-exemple.fr", "vpn.chu.example.",
		"127.0.0.1", "10.0.0.0/8", "192.168.1.0/24", "::ffff:127.0.0.1", "::ffff:10.0.0.0/120", "fe80::1%eth0",
		"::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "fec0::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
		"255.255.255.255/32", "0.0.0.0/24", "3fff::/120", " 8.8.8.8 ", "-bad-.example.org", "a..b", "xn--bcher-kva.example", "",
	} {
		f.Add(s, []byte{0, 127, 0, 0, 1, 1, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 1})
		f.Add(s, []byte{0, 93, 184, 216, 34})
	}
	f.Fuzz(func(t *testing.T, s string, resolved []byte) {
		if len(s) > 1024 || len(resolved) > 512 {
			return
		}
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Raw != strings.TrimSpace(s) || (tg.Domain == "") == !tg.Prefix.IsValid() {
			t.Fatalf("ParseTarget(%q) = %+v", s, tg)
		}
		// The inventory stores Raw and parses it again at each scan.
		again, err := ParseTarget(tg.Raw)
		if err != nil || again != tg {
			t.Fatalf("ParseTarget(%q) = %+v, then from its text %+v, %v", s, tg, again, err)
		}
		addrs := tg.Addresses()
		if len(addrs) > MaxBlockAddresses {
			t.Fatalf("%q gives %d addresses", s, len(addrs))
		}
		for _, a := range addrs {
			if !tg.Prefix.Contains(a) {
				t.Fatalf("%q gives %s, outside %s", s, a, tg.Prefix)
			}
		}
		if tg.Prefix.IsValid() {
			if p, err := ParseTarget(tg.Prefix.String()); err != nil || p.Prefix != tg.Prefix {
				t.Fatalf("the block of %q, %s, reads back as %+v, %v", s, tg.Prefix, p, err)
			}
		}
		for _, lab := range []bool{false, true} {
			got, err := Scope{Targets: []Target{tg}, Lab: lab}.Resolve(context.Background(), fuzzResolver(addrsFrom(resolved)))
			if len(got) > MaxBlockAddresses {
				t.Fatalf("%q resolves to %d addresses", s, len(got))
			}
			for a, from := range got {
				if from != tg.Raw || a != a.Unmap() || documentation(a) {
					t.Fatalf("%q (lab %t) let %s through, declared by %q", s, lab, a, from)
				}
				if !lab && !Public(a) {
					t.Fatalf("%q let %s through outside lab mode", s, a)
				}
				if tg.Prefix.IsValid() && !tg.Prefix.Contains(a) && !tg.Prefix.Contains(netip.AddrFrom16(a.As16())) {
					t.Fatalf("%q let %s through, outside its block", s, a)
				}
			}
			if err == nil && len(got) == 0 {
				t.Fatalf("%q: no address and no error", s)
			}
		}
	})
}

// formatPorts writes a sorted port list back with ranges: 22,80,8000-8100.
func formatPorts(ports []int) string {
	var b strings.Builder
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ports[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(ports[j]))
		}
		i = j + 1
	}
	return b.String()
}

// FuzzParsePorts: an accepted list is sorted, without duplicates, within 1–65535,
// and reads back the same once written with ranges.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"top", "sensitive", "all", "top,2575", "22,80,8000-8100", "TOP , 22", "0", "70000", "80-20", "web",
		"", ",", "1-65535", "65535", "-1", "1-", "+22", "22-+23", "08", "1-2-3", strings.Repeat("1-65535,", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 8192 {
			return
		}
		ports, err := ParsePorts(s)
		if err != nil {
			return
		}
		if len(ports) == 0 || !slices.IsSorted(ports) || ports[0] < 1 || ports[len(ports)-1] > 65535 || len(slices.Compact(slices.Clone(ports))) != len(ports) {
			t.Fatalf("ParsePorts(%q) = %v", s, ports)
		}
		back, err := ParsePorts(formatPorts(ports))
		if err != nil || !slices.Equal(back, ports) {
			t.Fatalf("ParsePorts(%q) = %d ports, written %q, read back %d, %v", s, len(ports), formatPorts(ports), len(back), err)
		}
	})
}
