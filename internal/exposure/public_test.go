package exposure

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestPublicFollowsTheRegistries walks the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (and the deprecated or multicast ranges they leave out): for
// each range, addresses inside are refused and the neighbours just outside, when
// they are ordinary Internet addresses, are accepted.
func TestPublicFollowsTheRegistries(t *testing.T) {
	for _, r := range []struct {
		prefix string
		source string
		in     []string // refused
		out    []string // just outside, public: accepted
	}{
		// IPv4 Special-Purpose Address Registry.
		{"0.0.0.0/8", "RFC 791", []string{"0.0.0.0", "0.1.2.3", "0.255.255.255"}, []string{"1.0.0.1"}},
		{"10.0.0.0/8", "RFC 1918", []string{"10.0.0.0", "10.255.255.255"}, []string{"9.255.255.255", "11.0.0.0"}},
		{"100.64.0.0/10", "RFC 6598", []string{"100.64.0.0", "100.127.255.255"}, []string{"100.63.255.255", "100.128.0.0"}},
		{"127.0.0.0/8", "RFC 1122", []string{"127.0.0.1", "127.255.255.255"}, []string{"126.255.255.255", "128.0.0.1"}},
		{"169.254.0.0/16", "RFC 3927", []string{"169.254.169.254", "169.254.0.0"}, []string{"169.253.255.255", "169.255.0.0"}},
		{"172.16.0.0/12", "RFC 1918", []string{"172.16.0.0", "172.31.255.255"}, []string{"172.15.255.255", "172.32.0.0"}},
		{"192.0.0.0/24", "RFC 6890, 7335, 7600, 7723, 8155, 8880", []string{"192.0.0.0", "192.0.0.8", "192.0.0.9", "192.0.0.10", "192.0.0.170", "192.0.0.255"}, []string{"191.255.255.255", "192.0.1.0"}},
		{"192.0.2.0/24", "RFC 5737", []string{"192.0.2.1"}, []string{"192.0.1.255", "192.0.3.0"}},
		{"192.31.196.0/24", "RFC 7535", []string{"192.31.196.1"}, []string{"192.31.195.255", "192.31.197.0"}},
		{"192.52.193.0/24", "RFC 7450", []string{"192.52.193.1"}, []string{"192.52.192.255", "192.52.194.0"}},
		{"192.88.99.0/24", "RFC 7526, 6751", []string{"192.88.99.1", "192.88.99.2"}, []string{"192.88.98.255", "192.88.100.0"}},
		{"192.168.0.0/16", "RFC 1918", []string{"192.168.1.1"}, []string{"192.167.255.255", "192.169.0.0"}},
		{"192.175.48.0/24", "RFC 7534", []string{"192.175.48.6"}, []string{"192.175.47.255", "192.175.49.0"}},
		{"198.18.0.0/15", "RFC 2544", []string{"198.18.0.1", "198.19.255.255"}, []string{"198.17.255.255", "198.20.0.0"}},
		{"198.51.100.0/24", "RFC 5737", []string{"198.51.100.7"}, []string{"198.51.99.255", "198.51.101.0"}},
		{"203.0.113.0/24", "RFC 5737", []string{"203.0.113.7"}, []string{"203.0.112.255", "203.0.114.0"}},
		{"240.0.0.0/4", "RFC 1112", []string{"240.0.0.1", "254.255.255.255"}, nil},
		{"255.255.255.255/32", "RFC 8190, 919", []string{"255.255.255.255"}, nil},
		{"224.0.0.0/4", "RFC 5771", []string{"224.0.0.1", "239.255.255.255"}, []string{"223.255.255.255"}},

		// IPv6 Special-Purpose Address Registry.
		{"::/128", "RFC 4291", []string{"::"}, nil},
		{"::1/128", "RFC 4291", []string{"::1"}, nil},
		{"::/96", "RFC 4291 §2.5.5.1", []string{"::7f00:1", "::a9fe:a9fe", "::808:808", "::0.0.0.2"}, nil},
		{"::ffff:0:0/96", "RFC 4291", []string{"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254"}, []string{"::ffff:8.8.8.8"}},
		{"64:ff9b::/96", "RFC 6052", []string{"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::808:808"}, nil},
		{"64:ff9b:1::/48", "RFC 8215", []string{"64:ff9b:1::1", "64:ff9b:1:ffff::7f00:1"}, nil},
		{"100::/64", "RFC 6666", []string{"100::1"}, nil},
		{"100:0:0:1::/64", "RFC 9780", []string{"100:0:0:1::1"}, nil},
		{"2001::/23", "RFC 2928", []string{"2001:5::1", "2001:1ff:ffff::1"}, []string{"2001:200::1", "2000:ffff:ffff::1"}},
		{"2001::/32", "RFC 4380", []string{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1"}, nil},
		{"2001:1::1/128", "RFC 7723", []string{"2001:1::1"}, nil},
		{"2001:1::2/128", "RFC 8155", []string{"2001:1::2"}, nil},
		{"2001:1::3/128", "RFC 9665", []string{"2001:1::3"}, nil},
		{"2001:2::/48", "RFC 5180", []string{"2001:2::1"}, nil},
		{"2001:3::/32", "RFC 7450", []string{"2001:3::1"}, nil},
		{"2001:4:112::/48", "RFC 7535", []string{"2001:4:112::1"}, nil},
		{"2001:10::/28", "RFC 4843", []string{"2001:10::1"}, nil},
		{"2001:20::/28", "RFC 7343", []string{"2001:20::1"}, nil},
		{"2001:30::/28", "RFC 9374", []string{"2001:30::1"}, nil},
		{"2001:db8::/32", "RFC 3849", []string{"2001:db8::1"}, []string{"2001:db7:ffff::1", "2001:db9::1"}},
		{"2002::/16", "RFC 3056", []string{"2002:7f00:1::1", "2002:a9fe:a9fe::1", "2002:808:808::1"}, []string{"2001:ffff:ffff::1", "2003::1"}},
		{"2620:4f:8000::/48", "RFC 7534", []string{"2620:4f:8000::6"}, []string{"2620:4f:7fff:ffff::1", "2620:4f:8001::1"}},
		{"3fff::/20", "RFC 9637", []string{"3fff::1", "3fff:fff::1"}, []string{"3fff:1000::1", "3ffe:ffff::1"}},
		{"5f00::/16", "RFC 9602", []string{"5f00::1"}, nil},
		{"fc00::/7", "RFC 4193", []string{"fc00::1", "fd12:3456::1"}, nil},
		{"fe80::/10", "RFC 4291", []string{"fe80::1", "fe80::1%eth0"}, nil},
		{"fec0::/10", "RFC 3879", []string{"fec0::1"}, nil},
		{"ff00::/8", "RFC 4291", []string{"ff02::1", "ff0e::1"}, nil},
		// Outside 2000::/3, the IANA IPv6 Address Space registry's global unicast.
		{"2000::/3", "IANA IPv6 Address Space", []string{"1fff:ffff::1", "4000::1", "e000::1"}, []string{"2000::1", "3fff:ffff::1"}},
	} {
		p := netip.MustParsePrefix(r.prefix)
		for _, s := range r.in {
			a := netip.MustParseAddr(s)
			if r.prefix != "2000::/3" && !p.Contains(a.WithZone("")) {
				t.Errorf("test table: %s is not in %s", s, r.prefix)
			}
			if Public(a) {
				t.Errorf("%s (%s, %s) is accepted as public", s, r.prefix, r.source)
			}
		}
		for _, s := range r.out {
			a := netip.MustParseAddr(s)
			if !Public(a) {
				t.Errorf("%s, next to %s, is refused", s, r.prefix)
			}
		}
	}
	for _, s := range []string{"8.8.8.8", "93.184.216.34", "2a00:1450:4007:80b::200e", "2606:4700::1111"} {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("%s is refused", s)
		}
	}
	if Public(netip.Addr{}) || Public(netip.MustParseAddr("2a00:1450::1%eth0")) {
		t.Error("the zero address or a zoned address is accepted")
	}
}

// The payloads of the report: each passed the check before, each is refused now,
// and the message says what the form carries.
func TestPublicRefusesTranslatedForms(t *testing.T) {
	for s, carried := range map[string]string{
		"::7f00:1":                             "IPv4-compatible 127.0.0.1",
		"64:ff9b::7f00:1":                      "NAT64 127.0.0.1",
		"2002:7f00:1::1":                       "6to4 127.0.0.1",
		"64:ff9b::a9fe:a9fe":                   "NAT64 169.254.169.254",
		"fec0::1":                              "",
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo 192.0.2.45", // RFC 4380 §4's example
	} {
		tg, err := ParseTarget(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		_, err = Scope{Targets: []Target{tg}}.Resolve(context.Background(), noResolver{})
		if err == nil || !strings.Contains(err.Error(), "exposure.error.not_public") && !strings.Contains(err.Error(), "exposure.error.documentation") {
			t.Errorf("%s was not refused: %v", s, err)
			continue
		}
		if got := describe(netip.MustParseAddr(s)); carried != "" && got != s+" ("+carried+")" {
			t.Errorf("%s is described as %q, want %q", s, got, carried)
		}
	}
	// Documentation addresses stay refused in lab mode, in their carried forms too.
	for _, s := range []string{"3fff::1", "64:ff9b::c000:201", "2002:cb00:7101::1"} {
		tg, _ := ParseTarget(s)
		if _, err := (Scope{Targets: []Target{tg}, Lab: true}).Resolve(context.Background(), noResolver{}); err == nil || !strings.Contains(err.Error(), "exposure.error.documentation") {
			t.Errorf("%s in lab mode: %v", s, err)
		}
	}
}
