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
	"slices"
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

// Public reports whether an address may be scanned outside lab mode: an address of
// the IPv4 space or of the IPv6 global unicast space 2000::/3 (IANA IPv6 Address
// Space registry) outside every range of notPublic, written plainly (an IPv4-mapped
// address counts as its IPv4 address; a zone is refused).
func Public(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if a.Is6() && !globalUnicast6.Contains(a) {
		return false
	}
	// The standard library's view first, the registries' next: either suffices.
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// globalUnicast6 is the only IPv6 block IANA hands to the regional registries
// (IANA IPv6 Address Space registry, RFC 4291 §2.4); the rest is reserved by the
// IETF or special-purpose (::/8, 100::/8, 5f00::/16, fc00::/7, fe80::/10, fec0::/10,
// ff00::/8...), so nothing there is a declared establishment's Internet address.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// notPublic holds every range of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (https://www.iana.org/assignments/iana-ipv4-special-registry and
// .../iana-ipv6-special-registry, RFC 6890 as updated by RFC 8190), with the
// deprecated or multicast ranges those registries leave out. Ranges the registries
// mark "globally reachable" are refused too: they are shared protocol
// infrastructure (anycast relays, AS112, AMT, overlay identifiers) run by others,
// never an establishment's own address, so an audit has no business there. The
// IPv6 ranges outside 2000::/3 are already refused by globalUnicast6; they are
// listed so that the table reads as the registries do.
//
// Translated and tunnelled forms (NAT64, 6to4, IPv4-compatible, Teredo) carry an
// IPv4 address (see embeddedIPv4), and a scan of one would reach that address
// through a gateway: 64:ff9b::7f00:1 is 127.0.0.1 behind a NAT64, 2002:7f00:1::1 is
// the loopback's 6to4 site. Their whole ranges are refused rather than only those
// whose embedded address is not public: the simpler rule is the safe one (the
// embedding depends on the prefix length chosen by the operator, in
// 64:ff9b:1::/48 for instance, and a gateway's behaviour is not ours to predict),
// and a declared target should be given in its plain form anyway.
var notPublic = []netip.Prefix{
	// IPv4 Special-Purpose Address Registry.
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network", RFC 791 §3.2; 0.0.0.0/32 RFC 1122 §3.2.1.3
	netip.MustParsePrefix("10.0.0.0/8"),     // private use, RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space (carrier-grade NAT), RFC 6598
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback, RFC 1122 §3.2.1.3
	netip.MustParsePrefix("169.254.0.0/16"), // link local, RFC 3927
	netip.MustParsePrefix("172.16.0.0/12"),  // private use, RFC 1918
	// IETF protocol assignments, RFC 6890 §2.1, holding service continuity 192.0.0.0/29
	// (RFC 7335), the dummy 192.0.0.8 (RFC 7600), PCP anycast 192.0.0.9 (RFC 7723),
	// TURN anycast 192.0.0.10 (RFC 8155), NAT64/DNS64 discovery 192.0.0.170-171 (RFC 8880).
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation TEST-NET-1, RFC 5737
	netip.MustParsePrefix("192.31.196.0/24"),    // AS112-v4, RFC 7535 (globally reachable, refused: shared DNS sink)
	netip.MustParsePrefix("192.52.193.0/24"),    // AMT, RFC 7450 (globally reachable, refused: multicast relays)
	netip.MustParsePrefix("192.88.99.0/24"),     // deprecated 6to4 relay anycast, RFC 7526; 6a44 relay anycast 192.88.99.2, RFC 6751
	netip.MustParsePrefix("192.168.0.0/16"),     // private use, RFC 1918
	netip.MustParsePrefix("192.175.48.0/24"),    // direct delegation AS112 service, RFC 7534 (globally reachable, refused)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking, RFC 2544
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation TEST-NET-2, RFC 5737
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation TEST-NET-3, RFC 5737
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, RFC 1112 §4
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast, RFC 8190, RFC 919 §7
	// Not in that registry: IPv4 multicast (IANA IPv4 Multicast Address Space registry, RFC 5771).
	netip.MustParsePrefix("224.0.0.0/4"),

	// IPv6 Special-Purpose Address Registry.
	netip.MustParsePrefix("::/128"),            // unspecified, RFC 4291
	netip.MustParsePrefix("::1/128"),           // loopback, RFC 4291
	netip.MustParsePrefix("::ffff:0:0/96"),     // IPv4-mapped, RFC 4291 (Public unmaps first: ::ffff:a.b.c.d is judged as a.b.c.d)
	netip.MustParsePrefix("64:ff9b::/96"),      // IPv4/IPv6 translation well-known prefix (NAT64), RFC 6052 (globally reachable, refused: translated form)
	netip.MustParsePrefix("64:ff9b:1::/48"),    // local-use IPv4/IPv6 translation, RFC 8215
	netip.MustParsePrefix("100::/64"),          // discard-only, RFC 6666
	netip.MustParsePrefix("100:0:0:1::/64"),    // dummy IPv6 prefix, RFC 9780
	netip.MustParsePrefix("2001::/23"),         // IETF protocol assignments, RFC 2928; holds every entry below down to ORCHIDv2 and DETs
	netip.MustParsePrefix("2001::/32"),         // Teredo, RFC 4380, RFC 8190
	netip.MustParsePrefix("2001:1::1/128"),     // PCP anycast, RFC 7723
	netip.MustParsePrefix("2001:1::2/128"),     // TURN anycast, RFC 8155
	netip.MustParsePrefix("2001:1::3/128"),     // DNS-SD service registration protocol anycast, RFC 9665
	netip.MustParsePrefix("2001:2::/48"),       // benchmarking, RFC 5180, erratum 1752
	netip.MustParsePrefix("2001:3::/32"),       // AMT, RFC 7450
	netip.MustParsePrefix("2001:4:112::/48"),   // AS112-v6, RFC 7535
	netip.MustParsePrefix("2001:10::/28"),      // deprecated, previously ORCHID, RFC 4843
	netip.MustParsePrefix("2001:20::/28"),      // ORCHIDv2, RFC 7343
	netip.MustParsePrefix("2001:30::/28"),      // drone remote ID entity tags (DETs), RFC 9374
	netip.MustParsePrefix("2001:db8::/32"),     // documentation, RFC 3849
	netip.MustParsePrefix("2002::/16"),         // 6to4, RFC 3056 (refused: tunnelled form)
	netip.MustParsePrefix("2620:4f:8000::/48"), // direct delegation AS112 service, RFC 7534
	netip.MustParsePrefix("3fff::/20"),         // documentation, RFC 9637
	netip.MustParsePrefix("5f00::/16"),         // segment routing (SRv6) SIDs, RFC 9602
	netip.MustParsePrefix("fc00::/7"),          // unique local, RFC 4193, RFC 8190
	netip.MustParsePrefix("fe80::/10"),         // link-local unicast, RFC 4291
	// Not in that registry: deprecated or multicast IPv6 ranges.
	netip.MustParsePrefix("::/96"),     // IPv4-compatible, deprecated by RFC 4291 §2.5.5.1
	netip.MustParsePrefix("fec0::/10"), // site-local, deprecated by RFC 3879
	netip.MustParsePrefix("ff00::/8"),  // multicast, RFC 4291 §2.7
}

// embeddedIPv4 returns the IPv4 address that a translated or tunnelled IPv6 form
// carries, and the form's name: NAT64 with the well-known prefix (RFC 6052 §2.2,
// /96 layout), 6to4 (RFC 3056 §2), IPv4-compatible (RFC 4291 §2.5.5.1) and Teredo's
// client (RFC 4380 §4, the address inverted). The local-use NAT64 prefix
// 64:ff9b:1::/48 has none: where its operator put the IPv4 address depends on a
// prefix length we cannot know. Public refuses all of these whatever they carry;
// this only helps say what a refused target meant.
func embeddedIPv4(a netip.Addr) (netip.Addr, string, bool) {
	if !a.Is6() || a.Is4In6() {
		return netip.Addr{}, "", false
	}
	a = a.WithZone("")
	b := a.As16()
	switch {
	case nat64WellKnown.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64", true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4", true
	case teredo.Contains(a):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	case ipv4Compatible.Contains(a) && a.Compare(netip.IPv6Loopback()) > 0:
		return netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible", true
	}
	return netip.Addr{}, "", false
}

var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	teredo         = netip.MustParsePrefix("2001::/32")
	ipv4Compatible = netip.MustParsePrefix("::/96")
)

// documentationPrefixes hold examples only (RFC 5737, RFC 3849, RFC 9637): nothing
// answers there, so even lab mode never sends them a packet, nor to their NAT64,
// 6to4 or IPv4-compatible forms, and the demo's edge uses them.
var documentationPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
}

func documentation(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if v4, _, ok := embeddedIPv4(a); ok {
		a = v4
	}
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
			c.Add("targets", "exposure.error.not_public", describe(a), from)
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

// describe writes an address for a message, with the IPv4 address that a
// translated or tunnelled form carries: "64:ff9b::7f00:1 (NAT64 127.0.0.1)".
func describe(a netip.Addr) string {
	if v4, form, ok := embeddedIPv4(a); ok {
		return a.String() + " (" + form + " " + v4.String() + ")"
	}
	return a.String()
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

// maxPortSpec bounds the text of a port list: a useful list is far shorter.
const maxPortSpec = 4096

// ParsePorts reads a port list: "top", "sensitive", "all", or numbers and ranges
// separated by commas ("22,80,8000-8100"); lists may be combined ("top,2575").
// Ranges are merged before they are expanded, so that the work stays bounded
// however many overlap.
func ParsePorts(spec string) ([]int, error) {
	if len(spec) > maxPortSpec {
		return nil, problem.New(problem.Invalid, "exposure.error.ports", strings.ToValidUTF8(spec[:40], "")+"…")
	}
	var spans [][2]int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		switch part {
		case "top":
			for _, p := range TopPorts {
				spans = append(spans, [2]int{p, p})
			}
			continue
		case "sensitive":
			for _, p := range SensitivePorts {
				spans = append(spans, [2]int{p, p})
			}
			continue
		case "all":
			spans = append(spans, [2]int{1, 65535})
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
		spans = append(spans, [2]int{a, b})
	}
	slices.SortFunc(spans, func(x, y [2]int) int { return x[0] - y[0] })
	var out []int
	next := 1 // the lowest port not yet listed
	for _, s := range spans {
		for p := max(s[0], next); p <= s[1]; p++ {
			out = append(out, p)
		}
		next = max(next, s[1]+1)
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
