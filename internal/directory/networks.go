package directory

import (
	"fmt"
	"net/netip"
	"strings"
)

// Where audits run by the platform may connect: public addresses, and the
// non-public networks an administrator lists for the instance.

// guard refuses the addresses an audit run by the platform may not reach.
func (s *Service) guard(a netip.Addr) error {
	for _, p := range s.Networks {
		if p.Contains(a) {
			return nil
		}
	}
	switch {
	case a.IsLoopback(), a.IsLinkLocalUnicast(), a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return refused("url", "directory.error.address", a.String())
	case a.IsPrivate():
		return refused("url", "directory.error.address_private", a.String())
	}
	return nil
}

// privateNetworks are the ranges "private" stands for in ParseNetworks (RFC 1918
// and unique local IPv6 addresses, RFC 4193).
var privateNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7")}

// ParseNetworks reads the networks an administrator allows directory audits to
// reach: a comma-separated list of CIDR blocks, where "private" stands for every
// private range.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		switch part {
		case "":
			continue
		case "private":
			out = append(out, privateNetworks...)
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("réseau %q : attendu un bloc CIDR (10.20.0.0/16) ou « private »", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
