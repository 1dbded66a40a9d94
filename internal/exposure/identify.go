package exposure

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Identification reads what a service says first, then sends a short, harmless
// protocol greeting (the first message any client would send) when it stays silent.
// No payload beyond a greeting, no login.

// greetings a silent service may answer, in the order to try them for a port.
var (
	// RDP: X.224 Connection Request with an RDP negotiation request (TLS | CredSSP).
	rdpRequest = []byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00}
	// SMB2 NEGOTIATE offering dialects 2.0.2 to 3.1.1, without preauth context.
	smbNegotiate = func() []byte {
		hdr := make([]byte, 64)
		copy(hdr, []byte{0xfe, 'S', 'M', 'B', 64, 0})
		body := []byte{36, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0}
		body = append(body, make([]byte, 16)...) // client GUID
		body = append(body, make([]byte, 8)...)  // client start time
		for _, d := range []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311} {
			body = append(body, byte(d), byte(d>>8))
		}
		msg := append(hdr, body...)
		n := len(msg)
		return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
	}()
	// LDAP: a search of the root DSE for its namingContexts (anonymous, read-only).
	ldapRootDSE = []byte{0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00,
		0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, 'o', 'b', 'j', 'e', 'c', 't', 'c', 'l', 'a', 's', 's', 0x30, 0x00}
)

// identify fills in what listens on an open port. A service that speaks first
// says what it is in its first bytes, and the read returns with them; on a port
// where the client speaks first (web, TLS, RDP, SMB, LDAP) the greetings go
// first, and the silent wait for a banner only when none of them was answered.
func identify(ctx context.Context, o *Observation, timeout time.Duration) {
	addr := hostPort(o.Address, o.Port)
	order, clientFirst := probeOrder(o.Port)
	if !clientFirst && fromRead(o, read(ctx, addr, nil, timeout/2)) {
		return
	}
	if probeAll(ctx, o, addr, order, timeout) {
		return
	}
	if clientFirst {
		fromRead(o, read(ctx, addr, nil, timeout/2))
	}
}

// fromRead identifies o from a banner, and says whether it did.
func fromRead(o *Observation, banner []byte) bool {
	if len(banner) == 0 {
		return false
	}
	fromBanner(o, banner)
	return o.Service != ""
}

// probeAll sends the greetings of order until one is answered.
func probeAll(ctx context.Context, o *Observation, addr string, order []string, timeout time.Duration) bool {
	for _, kind := range order {
		switch kind {
		case "tls":
			if info, ok := inspectTLS(ctx, addr, "", timeout); ok {
				o.TLS = info
				o.Service = "tls"
				if h, ok := inspectHTTP(ctx, addr, "https", timeout); ok {
					o.Service, o.HTTP = "https", h
					productFromHTTP(o)
				}
				return true
			}
		case "http":
			if h, ok := inspectHTTP(ctx, addr, "http", timeout); ok {
				o.Service, o.HTTP = "http", h
				productFromHTTP(o)
				return true
			}
		case "rdp":
			if r := read(ctx, addr, rdpRequest, timeout); len(r) >= 11 && r[0] == 0x03 && r[1] == 0x00 && r[5] == 0xd0 {
				o.Service, o.Banner = "rdp", "X.224 Connection Confirm"
				return true
			}
		case "smb":
			if r := read(ctx, addr, smbNegotiate, timeout); len(r) > 8 && bytes.Contains(r[:min(len(r), 12)], []byte{0xfe, 'S', 'M', 'B'}) {
				o.Service, o.Banner = "smb", "SMB2 Negotiate response"
				return true
			}
		case "ldap":
			if r := read(ctx, addr, ldapRootDSE, timeout); len(r) > 2 && r[0] == 0x30 {
				o.Service, o.Banner = "ldap", "LDAP rootDSE response"
				return true
			}
		}
	}
	return false
}

// probeOrder lists the greetings worth trying on a port, likeliest first, and
// says whether the client speaks first there (the well-known ports of protocols
// where the server waits to be asked).
func probeOrder(port int) (order []string, clientFirst bool) {
	switch port {
	case 3389:
		return []string{"rdp", "tls", "http"}, true
	case 445, 139:
		return []string{"smb"}, true
	case 389, 3268:
		return []string{"ldap"}, true
	case 636, 3269, 443, 8443, 4443, 10443, 993, 995, 465:
		return []string{"tls", "http"}, true
	case 80, 8080, 8000, 8008, 8081, 8888:
		return []string{"http", "tls"}, true
	}
	return []string{"tls", "http", "rdp", "smb"}, false
}

// read connects, sends a greeting (none for a passive read), and returns what the
// service answers within the timeout.
func read(ctx context.Context, addr string, greeting []byte, timeout time.Duration) []byte {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if greeting != nil {
		if _, err := conn.Write(greeting); err != nil {
			return nil
		}
	}
	buf := make([]byte, 1024)
	n, _ := io.ReadAtLeast(conn, buf, 1)
	return buf[:n]
}

var (
	sshBanner   = regexp.MustCompile(`^SSH-[\d.]+-([A-Za-z]+)[_-]?([\w.]*)`)
	ftpProducts = []struct {
		re      *regexp.Regexp
		product string
	}{
		{regexp.MustCompile(`vsFTPd ([\d.]+)`), "vsftpd:vsftpd"},
		{regexp.MustCompile(`ProFTPD ([\d.]+\w*)`), "proftpd:proftpd"},
		{regexp.MustCompile(`FileZilla Server ([\d.]+)`), "filezilla-project:filezilla_server"},
		{regexp.MustCompile(`Microsoft FTP Service`), "microsoft:iis"},
	}
	smtpProducts = []struct {
		re      *regexp.Regexp
		product string
	}{
		{regexp.MustCompile(`Postfix`), "postfix:postfix"},
		{regexp.MustCompile(`Exim ([\d.]+)`), "exim:exim"},
		{regexp.MustCompile(`Microsoft ESMTP MAIL Service`), "microsoft:exchange_server"},
	}
)

// fromBanner recognises a service that speaks first.
func fromBanner(o *Observation, b []byte) {
	text := strings.TrimSpace(string(bytes.ToValidUTF8(b, nil)))
	if len(text) > 200 {
		text = text[:200]
	}
	switch {
	case strings.HasPrefix(text, "SSH-"):
		o.Service, o.Banner = "ssh", firstLine(text)
		if m := sshBanner.FindStringSubmatch(o.Banner); m != nil {
			if strings.EqualFold(m[1], "OpenSSH") {
				o.Product, o.Version = "openbsd:openssh", m[2]
			} else {
				o.Product = strings.ToLower(m[1])
			}
		}
	case b[0] == 0xff && len(b) > 2 && b[1] >= 0xfb: // telnet IAC negotiation
		o.Service, o.Banner = "telnet", "IAC option negotiation"
	case strings.HasPrefix(text, "220"):
		o.Banner = firstLine(text)
		if strings.Contains(strings.ToUpper(text), "SMTP") || o.Port == 25 || o.Port == 587 {
			o.Service = "smtp"
			matchProduct(o, smtpProducts)
		} else {
			o.Service = "ftp"
			matchProduct(o, ftpProducts)
		}
	case len(b) > 5 && b[4] == 0x0a && bytes.IndexByte(b[5:], 0) > 0: // MySQL handshake v10
		o.Service = "mysql"
		o.Version = string(b[5 : 5+bytes.IndexByte(b[5:], 0)])
		o.Product, o.Banner = "oracle:mysql", "MySQL "+o.Version
	case strings.HasPrefix(text, "RFB "):
		o.Service, o.Banner = "vnc", firstLine(text)
	case strings.HasPrefix(text, "+OK") || strings.HasPrefix(text, "* OK"):
		o.Service, o.Banner = "mail", firstLine(text)
	default:
		if isPrintable(text) {
			o.Banner = firstLine(text)
		}
	}
}

func matchProduct(o *Observation, table []struct {
	re      *regexp.Regexp
	product string
}) {
	for _, p := range table {
		if m := p.re.FindStringSubmatch(o.Banner); m != nil {
			o.Product = p.product
			if len(m) > 1 {
				o.Version = m[1]
			}
			return
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return s != ""
}

// ---- HTTP ----

// HTTPInfo is what a GET / answered.
type HTTPInfo struct {
	Status   int               `json:"status"`
	Title    string            `json:"title,omitempty"`
	Server   string            `json:"server,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"` // the security headers present
	Listing  bool              `json:"directory_listing,omitempty"`
	Location string            `json:"location,omitempty"`
}

var securityHeaders = []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By", "Server"}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// inspectHTTP sends GET / and reads the status, the security headers and the title.
// Redirects are not followed: a redirect may leave the declared scope.
func inspectHTTP(ctx context.Context, addr, scheme string, timeout time.Duration) (*HTTPInfo, bool) {
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}, //nolint:gosec // inspection, certificates are checked apart
			DisableKeepAlives: true,
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+"/", nil)
	if err != nil {
		return nil, false
	}
	req.Header.Set("User-Agent", "CaRE-exposure-audit")
	resp, err := client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	h := &HTTPInfo{Status: resp.StatusCode, Headers: map[string]string{}, Server: resp.Header.Get("Server"), Location: resp.Header.Get("Location")}
	for _, name := range securityHeaders {
		if v := resp.Header.Get(name); v != "" {
			h.Headers[name] = v
		}
	}
	if m := titleRE.FindSubmatch(body); m != nil {
		h.Title = strings.TrimSpace(string(bytes.ToValidUTF8(m[1], nil)))
	}
	h.Listing = bytes.Contains(body, []byte("<title>Index of /")) || bytes.Contains(body, []byte("Directory listing for /"))
	return h, true
}

var serverProducts = []struct {
	re      *regexp.Regexp
	product string
}{
	{regexp.MustCompile(`Apache/([\d.]+)`), "apache:http_server"},
	{regexp.MustCompile(`nginx/([\d.]+)`), "f5:nginx"},
	{regexp.MustCompile(`Microsoft-IIS/([\d.]+)`), "microsoft:iis"},
}

func productFromHTTP(o *Observation) {
	if o.HTTP == nil || o.HTTP.Server == "" {
		return
	}
	o.Banner = "Server: " + o.HTTP.Server
	for _, p := range serverProducts {
		if m := p.re.FindStringSubmatch(o.HTTP.Server); m != nil {
			o.Product, o.Version = p.product, m[1]
			return
		}
	}
}

// ---- TLS ----

// TLSInfo is what the TLS inspection found.
type TLSInfo struct {
	Version     string    `json:"version"`                // negotiated with a modern client
	OldVersions []string  `json:"old_versions,omitempty"` // TLS 1.0 / 1.1 accepted
	WeakCipher  string    `json:"weak_cipher,omitempty"`  // an insecure suite the server accepted
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"not_after"`
	DNSNames    []string  `json:"dns_names,omitempty"`
	SelfSigned  bool      `json:"self_signed"`
	Trusted     bool      `json:"trusted"`
	NameMatch   bool      `json:"name_match"`
	KeyBits     int       `json:"key_bits,omitempty"`
	SHA1        bool      `json:"sha1_signature,omitempty"`
	VerifyError string    `json:"verify_error,omitempty"`
}

// Roots is the trust store certificates are verified against; the system's when nil.
var Roots *x509.CertPool

// inspectTLS shakes hands once with a permissive client to read the certificate,
// then once per old version and once with only insecure suites, to see what the
// server still accepts. serverName is sent as SNI and checked against the certificate.
func inspectTLS(ctx context.Context, addr, serverName string, timeout time.Duration) (*TLSInfo, bool) {
	state, ok := handshake(ctx, addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, MinVersion: tls.VersionTLS10}, timeout) //nolint:gosec // inspection
	if !ok || len(state.PeerCertificates) == 0 {
		return nil, false
	}
	leaf := state.PeerCertificates[0]
	info := &TLSInfo{Version: tls.VersionName(state.Version), Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), NotAfter: leaf.NotAfter,
		DNSNames: leaf.DNSNames, SHA1: leaf.SignatureAlgorithm == x509.SHA1WithRSA || leaf.SignatureAlgorithm == x509.ECDSAWithSHA1}
	info.SelfSigned = bytes.Equal(leaf.RawSubject, leaf.RawIssuer) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
	if k, ok := leaf.PublicKey.(interface{ Size() int }); ok {
		info.KeyBits = k.Size() * 8
	}
	host, _, _ := net.SplitHostPort(addr)
	name := serverName
	if name == "" {
		name = host
	}
	info.NameMatch = leaf.VerifyHostname(name) == nil
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: Roots, Intermediates: inter, CurrentTime: time.Now()}); err != nil {
		info.VerifyError = err.Error()
	} else {
		info.Trusted = true
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if _, ok := handshake(ctx, addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, MinVersion: v, MaxVersion: v}, timeout); ok { //nolint:gosec // inspection
			info.OldVersions = append(info.OldVersions, tls.VersionName(v))
		}
	}
	var weak []uint16
	for _, s := range tls.InsecureCipherSuites() {
		weak = append(weak, s.ID)
	}
	for _, s := range tls.CipherSuites() {
		if strings.HasPrefix(s.Name, "TLS_RSA_") { // RSA key exchange: no forward secrecy
			weak = append(weak, s.ID)
		}
	}
	if st, ok := handshake(ctx, addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: weak}, timeout); ok { //nolint:gosec // inspection
		info.WeakCipher = tls.CipherSuiteName(st.CipherSuite)
	}
	return info, true
}

func handshake(ctx context.Context, addr string, cfg *tls.Config, timeout time.Duration) (tls.ConnectionState, bool) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, false
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), true
}
