// Package exposure audits what an establishment exposes to the Internet: a declared
// inventory of addresses, blocks and names; a safe TCP connect scanner with banner
// reads, light protocol probes and TLS inspection; findings followed from one scan to
// the next. It never sends an exploit nor tries a login, and it contacts only the
// declared targets.
package exposure

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"care/internal/platform/problem"
)

// Limits that keep a scan proportionate.
const (
	MaxBlockAddresses = 256    // a declared CIDR block holds at most a /24
	MaxProbes         = 300000 // addresses × ports in one scan
)

// Target is one declared inventory entry: an address, a block or a domain name.
type Target struct {
	Raw    string
	Prefix netip.Prefix // for addresses (as /32 or /128) and blocks
	Domain string       // for names, resolved at scan time
}

// ParseTarget reads an address, a CIDR block (at most 256 addresses) or a domain.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	t := Target{Raw: s}
	if a, err := netip.ParseAddr(s); err == nil {
		t.Prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		return t, nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		if p.Addr().BitLen()-p.Bits() > 8 {
			return Target{}, problem.New(problem.Invalid, "exposure.error.block_too_large", s, MaxBlockAddresses)
		}
		t.Prefix = p
		return t, nil
	}
	if isDomain(s) {
		t.Domain = strings.ToLower(strings.TrimSuffix(s, "."))
		return t, nil
	}
	return Target{}, problem.New(problem.Invalid, "exposure.error.target", s)
}

func isDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// Addresses lists the addresses of an address or block target.
func (t Target) Addresses() []netip.Addr {
	if !t.Prefix.IsValid() {
		return nil
	}
	var out []netip.Addr
	for a := t.Prefix.Addr(); t.Prefix.Contains(a); a = a.Next() {
		out = append(out, a)
		if len(out) > MaxBlockAddresses {
			break
		}
	}
	return out
}

// Public reports whether an address may be scanned outside lab mode: not loopback,
// private, link-local, multicast, unspecified or otherwise reserved.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, reserved := range reservedPrefixes {
		if reserved.Contains(a) {
			return false
		}
	}
	return true
}

// Ranges the Internet does not route (RFC 6890 and friends) that IsPrivate misses.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("2001:db8::/32"),
}

// documentationPrefixes hold examples only (RFC 5737, RFC 3849): nothing answers
// there, so even lab mode never sends them a packet, and the demo's edge uses them.
var documentationPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func documentation(a netip.Addr) bool {
	for _, p := range documentationPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Scope is what a scan may contact.
type Scope struct {
	Targets []Target
	// Lab allows loopback, private and reserved addresses: tests and demos on a
	// machine's own addresses or test namespaces. An administrator switches it on.
	Lab bool
}

// Resolver looks domain names up; net.DefaultResolver in production.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Resolve turns the scope into the addresses to scan, each tied to the target that
// declared it. Domains resolve at scan time; an address outside what may be scanned
// is refused, and so is a name that does not resolve. Every fault is reported.
func (s Scope) Resolve(ctx context.Context, r Resolver) (map[netip.Addr]string, error) {
	var c problem.Checks
	out := map[netip.Addr]string{}
	add := func(a netip.Addr, from string) {
		a = a.Unmap()
		if documentation(a) {
			c.Add("targets", "exposure.error.documentation", a.String(), from)
			return
		}
		if !s.Lab && !Public(a) {
			c.Add("targets", "exposure.error.not_public", a.String(), from)
			return
		}
		if _, seen := out[a]; !seen {
			out[a] = from
		}
	}
	for _, t := range s.Targets {
		if t.Domain == "" {
			for _, a := range t.Addresses() {
				add(a, t.Raw)
			}
			continue
		}
		addrs, err := r.LookupNetIP(ctx, "ip", t.Domain)
		if err != nil || len(addrs) == 0 {
			c.Add("targets", "exposure.error.unresolved", t.Domain)
			continue
		}
		for _, a := range addrs {
			add(a, t.Raw)
		}
	}
	if len(out) == 0 && c.Err() == nil {
		c.Add("targets", "exposure.error.no_target")
	}
	return out, c.Err()
}

// ---- ports ----

// TopPorts are the TCP ports most often found open on Internet-facing hosts, chosen
// by us from public reports of Internet-wide scans (not nmap's frequency file).
var TopPorts = []int{
	21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 514, 587, 631, 636, 873, 990, 993, 995,
	1080, 1194, 1433, 1521, 1723, 2049, 2082, 2083, 2222, 2375, 2376, 3000, 3128, 3268, 3269, 3306, 3389, 4443, 4444,
	5000, 5060, 5432, 5555, 5601, 5800, 5900, 5901, 5985, 5986, 6379, 6443, 7001, 7443, 8000, 8008, 8080, 8081, 8088,
	8443, 8444, 8888, 9000, 9090, 9100, 9200, 9300, 9443, 10000, 10250, 10443, 11211, 27017,
}

// SensitivePorts are those of services that should never face the Internet, plus
// remote-access portals and health protocols (DICOM, HL7).
var SensitivePorts = []int{
	21, 23, 88, 104, 135, 137, 138, 139, 389, 445, 515, 631, 636, 873, 1433, 1521, 2049, 2375, 2376, 2575, 3268, 3269,
	3306, 3389, 4443, 5432, 5900, 5901, 5902, 5903, 5984, 5985, 5986, 6000, 6379, 6443, 8443, 9100, 9200, 9300, 10250,
	10443, 11112, 11211, 27017,
}

// ParsePorts reads a port list: "top", "sensitive", "all", or numbers and ranges
// separated by commas ("22,80,8000-8100"); lists may be combined ("top,2575").
func ParsePorts(spec string) ([]int, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		switch part {
		case "top":
			for _, p := range TopPorts {
				set[p] = true
			}
			continue
		case "sensitive":
			for _, p := range SensitivePorts {
				set[p] = true
			}
			continue
		case "all":
			for p := 1; p <= 65535; p++ {
				set[p] = true
			}
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			return nil, problem.New(problem.Invalid, "exposure.error.ports", part)
		}
		for p := a; p <= b; p++ {
			set[p] = true
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	if len(out) == 0 {
		return nil, problem.New(problem.Invalid, "exposure.error.ports", spec)
	}
	return out, nil
}

// CheckSize refuses scans beyond the caps.
func CheckSize(addresses, ports int) error {
	if addresses*ports > MaxProbes {
		return problem.New(problem.Invalid, "exposure.error.too_big", addresses, ports, MaxProbes)
	}
	return nil
}

// hostPort joins an address and a port for dialing.
func hostPort(a netip.Addr, port int) string { return net.JoinHostPort(a.String(), strconv.Itoa(port)) }
