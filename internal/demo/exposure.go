package demo

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"care/internal/exposure"
)

// The CHU's declared Internet edge, on documentation addresses (RFC 5737) that no
// scan may reach without lab mode.
var demoEdge = []struct{ value, owner string }{
	{"203.0.113.10", "DSI — pare-feu périmétrique"},
	{"203.0.113.20", "DSI — passerelle VPN"},
	{"203.0.113.30", "Prestataire messagerie"},
}

// seedExposure gives the CHU two past scans 52 days apart: the first saw an exposed
// remote desktop, an old VPN appliance and a web portal without protections; by
// the second the remote desktop was closed and the VPN appliance updated.
func seedExposure(ctx context.Context, s *exposure.Service, ids map[string]int64) error {
	org := ids["chu"]
	var addrs []netip.Addr
	for _, t := range demoEdge {
		if _, err := s.AddTarget(ctx, org, t.value, t.owner, true); err != nil {
			return err
		}
		addrs = append(addrs, netip.MustParseAddr(t.value))
	}
	fw, vpn, mail := addrs[0], addrs[1], addrs[2]
	portal := exposure.Observation{Address: fw, Port: 443, State: exposure.Open, Service: "https", Product: "apache:http_server", Version: "2.4.62",
		HTTP: &exposure.HTTPInfo{Status: 200, Title: "Portail patients", Server: "Apache"},
		TLS:  &exposure.TLSInfo{Version: "TLS 1.2", OldVersions: []string{"TLS 1.0", "TLS 1.1"}, Subject: "CN=portail.chu-port-emeraude.test", Issuer: "CN=Autorité de démonstration", NotAfter: time.Now().AddDate(0, 3, 0), Trusted: true, NameMatch: true, KeyBits: 2048}}
	webmail := exposure.Observation{Address: mail, Port: 443, State: exposure.Open, Service: "https",
		HTTP: &exposure.HTTPInfo{Status: 200, Title: "Messagerie", Headers: map[string]string{"Strict-Transport-Security": "max-age=31536000", "Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}},
		TLS:  &exposure.TLSInfo{Version: "TLS 1.3", Subject: "CN=webmail.chu-port-emeraude.test", Issuer: "CN=Autorité de démonstration", NotAfter: time.Now().AddDate(0, 8, 0), Trusted: true, NameMatch: true, KeyBits: 2048}}
	smtp := exposure.Observation{Address: mail, Port: 25, State: exposure.Open, Service: "smtp", Banner: "220 mx.chu-port-emeraude.test ESMTP"}
	first := []exposure.Observation{
		portal, webmail, smtp,
		{Address: fw, Port: 3389, State: exposure.Open, Service: "rdp"},
		{Address: vpn, Port: 443, State: exposure.Open, Service: "https", Product: "fortinet:fortios", Version: "6.0.4",
			HTTP: &exposure.HTTPInfo{Status: 200, Title: "SSL VPN", Location: "/remote/login"}},
	}
	second := []exposure.Observation{
		portal, webmail, smtp,
		{Address: vpn, Port: 443, State: exposure.Open, Service: "https", Product: "fortinet:fortios", Version: "7.4.8",
			HTTP: &exposure.HTTPInfo{Status: 200, Title: "SSL VPN", Location: "/remote/login"}},
	}
	now := time.Now()
	if _, err := s.RecordPast(ctx, org, "top,sensitive", addrs, first, now.AddDate(0, 0, -54)); err != nil {
		return err
	}
	if _, err := s.RecordPast(ctx, org, "top,sensitive", addrs, second, now.AddDate(0, 0, -2)); err != nil {
		return err
	}
	// Two SILENE results sent by ANSSI, 50 days apart, each with its report.
	for i, r := range []struct {
		daysAgo int
		level   string
	}{{58, "3"}, {8, "4"}} {
		on := now.AddDate(0, 0, -r.daysAgo).Format(time.DateOnly)
		report := []byte(fmt.Sprintf("Rapport SILENE de démonstration n° %d, audit du %s : niveau %s sur 5.\n", i+1, on, r.level))
		if _, err := s.RecordSilene(ctx, org, on, r.level, "silene-"+on+".txt", report); err != nil {
			return err
		}
	}
	return nil
}
