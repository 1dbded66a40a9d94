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
	"slices"
	"strings"
	"time"
)

// Identification reads what a service says first, then sends a short, harmless
// question (the first message any client would send, or a read-only request for
// what the server is) when it stays silent. No payload that changes anything, no
// login. The texts read are matched against the fingerprint database
// (fingerprint.go, content/fingerprints/); the greetings are in probes.go.

// identify fills in what listens on an open port. A service that speaks first
// says what it is in its first bytes, and the read returns with them; on a port
// where the client speaks first (web, TLS, RDP, SMB, LDAP, databases, caches)
// the greetings go first, and the silent wait for a banner only when none of
// them was answered.
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
				} else if fromTLSBanner(ctx, o, addr, timeout) {
					return true
				}
				productFromHTTP(o)
				return true
			}
		case "http":
			if h, ok := inspectHTTP(ctx, addr, "http", timeout); ok {
				o.Service, o.HTTP = "http", h
				productFromHTTP(o)
				return true
			}
		default:
			if p, ok := probes[kind]; ok {
				if text, ok := p.ask(ctx, addr, timeout); ok {
					o.Service, o.Banner = p.service, clip(strings.Join(strings.Fields(text), " "), 200)
					identifyAs(o, p.protocol, text)
					return true
				}
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
	case 5432:
		return []string{"postgresql"}, true
	case 6379:
		return []string{"redis"}, true
	case 11211:
		return []string{"memcached"}, true
	case 636, 3269, 443, 8443, 4443, 10443, 993, 995, 465:
		return []string{"tls", "http"}, true
	case 80, 8080, 8000, 8008, 8081, 8888, 3128:
		return []string{"http", "tls"}, true
	}
	return []string{"tls", "http", "rdp", "smb"}, false
}

// read connects, sends a greeting (none for a passive read), and returns what the
// service answers within the timeout.
func read(ctx context.Context, addr string, greeting []byte, timeout time.Duration) []byte {
	return readUpTo(ctx, addr, greeting, timeout, 1024)
}

// readUpTo is read with room for size bytes: once the first bytes came, it
// keeps what follows at once (a reply sent in several segments).
func readUpTo(ctx context.Context, addr string, greeting []byte, timeout time.Duration, size int) []byte {
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
	buf := make([]byte, size)
	n, err := io.ReadAtLeast(conn, buf, 1)
	for err == nil && n < size && size > 1024 {
		_ = conn.SetReadDeadline(time.Now().Add(min(timeout, 100*time.Millisecond)))
		var m int
		m, err = conn.Read(buf[n:])
		n += m
	}
	return buf[:n]
}

// fromTLSBanner identifies a service that speaks first inside TLS (IMAPS,
// POP3S, SMTPS, FTPS with implicit TLS), its service named with an s.
func fromTLSBanner(ctx context.Context, o *Observation, addr string, timeout time.Duration) bool {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}} //nolint:gosec // inspection
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(timeout / 2))
	buf := make([]byte, 1024)
	n, _ := io.ReadAtLeast(conn, buf, 1)
	inner := Observation{Port: o.Port}
	if !fromRead(&inner, buf[:n]) {
		return false
	}
	o.Service, o.Banner, o.Product, o.Version = inner.Service+"s", inner.Banner, inner.Product, inner.Version
	return true
}

// fromBanner recognises a service that speaks first, then its product from the
// fingerprints of its protocol.
func fromBanner(o *Observation, b []byte) {
	text := strings.TrimSpace(string(bytes.ToValidUTF8(b, nil)))
	if len(text) > 512 {
		text = text[:512]
	}
	switch {
	case strings.HasPrefix(text, "SSH-"):
		o.Service, o.Banner = "ssh", firstLine(text)
		identifyAs(o, "ssh", o.Banner)
	case b[0] == 0xff && len(b) > 2 && b[1] >= 0xfb: // telnet IAC negotiation
		o.Service, o.Banner = "telnet", "IAC option negotiation"
		if t := telnetText(b); t != "" {
			o.Banner = firstLine(t)
			identifyAs(o, "telnet", t)
		}
	case strings.HasPrefix(text, "220"):
		o.Banner = firstLine(text)
		// The patterns decide between a mail and a file server; the words and
		// the port only when neither knows the banner.
		switch {
		case identifyAs(o, "smtp", text):
			o.Service = "smtp"
		case identifyAs(o, "ftp", text):
			o.Service = "ftp"
		case strings.Contains(strings.ToUpper(text), "SMTP") || o.Port == 25 || o.Port == 587 || o.Port == 465:
			o.Service = "smtp"
		default:
			o.Service = "ftp"
		}
	case len(b) > 5 && b[4] == 0x0a && bytes.IndexByte(b[5:], 0) > 0: // MySQL handshake v10
		o.Service = "mysql"
		v := string(b[5 : 5+bytes.IndexByte(b[5:], 0)])
		o.Banner = "MySQL " + v
		identifyAs(o, "mysql", v)
	case len(b) > 7 && b[4] == 0xff && (bytes.Contains(b, []byte("MySQL")) || bytes.Contains(b, []byte("MariaDB"))): // MySQL refusal before the handshake
		o.Service = "mysql"
		o.Banner = strings.TrimSpace(string(bytes.ToValidUTF8(b[7:], nil)))
		identifyAs(o, "mysql", o.Banner)
	case strings.HasPrefix(text, "RFB "):
		o.Service, o.Banner = "vnc", firstLine(text)
		identifyAs(o, "vnc", o.Banner)
	case strings.HasPrefix(text, "+OK"):
		o.Service, o.Banner = "pop3", firstLine(text)
		identifyAs(o, "pop", o.Banner)
	case strings.HasPrefix(text, "* OK") || strings.HasPrefix(text, "* PREAUTH"):
		o.Service, o.Banner = "imap", firstLine(text)
		identifyAs(o, "imap", o.Banner)
	default:
		if isPrintable(text) {
			o.Banner = firstLine(text)
		}
	}
}

// telnetText is what a telnet server wrote besides its option negotiation.
func telnetText(b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0xff && i+1 < len(b) && b[i+1] >= 0xfb: // IAC WILL/WONT/DO/DONT option
			i += 2
		case b[i] == 0xff && i+1 < len(b) && b[i+1] == 0xfa: // IAC SB … IAC SE
			end := bytes.Index(b[i:], []byte{0xff, 0xf0})
			if end < 0 {
				i = len(b)
			} else {
				i += end + 1
			}
		case b[i] == 0xff:
			i++
		default:
			out = append(out, b[i])
		}
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8(out, nil)))
}

// clip cuts s to n bytes at most, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
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
	// FaviconHash is the public databases' hash of the icon (favicon.go), when
	// the service answered the one GET for it.
	FaviconHash *int32 `json:"favicon_hash,omitempty"`

	header http.Header // every header, for the fingerprints (not stored)
}

var securityHeaders = []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By", "Server"}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// inspectHTTP sends GET / and reads the status, the security headers and the
// title, then one GET for the icon (favicon.go) on the same address.
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
	h := &HTTPInfo{Status: resp.StatusCode, Headers: map[string]string{}, Server: resp.Header.Get("Server"), Location: resp.Header.Get("Location"), header: resp.Header}
	for _, name := range securityHeaders {
		if v := resp.Header.Get(name); v != "" {
			h.Headers[name] = v
		}
	}
	if m := titleRE.FindSubmatch(body); m != nil {
		h.Title = strings.TrimSpace(string(bytes.ToValidUTF8(m[1], nil)))
	}
	h.Listing = bytes.Contains(body, []byte("<title>Index of /")) || bytes.Contains(body, []byte("Directory listing for /"))
	if hash, ok := fetchFavicon(ctx, client, faviconURL(req.URL, body)); ok {
		h.FaviconHash = &hash
	}
	return h, true
}

// productFromHTTP names the product of a web server or of the appliance behind
// it: the specific signs first (headers, cookies, title, authentication realm,
// certificate), the Server header last, as it often names only the front end
// (Microsoft-IIS before Exchange, a generic server before an appliance). The
// first sign that names a product wins; a later one that names the same
// product may still give its version (a default page's title, then the Server
// header with the version).
//
// The favicon comes last, after the Server header: an icon says the product
// but never its version, and the same icon is served by every version, so it
// never overrides a product another sign named (with or without a version);
// it names the product only when nothing else did (an appliance whose pages,
// headers and certificate say nothing).
func productFromHTTP(o *Observation) {
	var texts [][2]string
	if h := o.HTTP; h != nil {
		if h.Server != "" {
			o.Banner = "Server: " + h.Server
		}
		texts = append(texts, [2]string{"http-header", headerLines(h.header)}, [2]string{"http-cookie", strings.Join(h.header.Values("Set-Cookie"), "\n")},
			[2]string{"html-title", h.Title}, [2]string{"http-auth", strings.Join(h.header.Values("WWW-Authenticate"), "\n")})
	}
	if t := o.TLS; t != nil {
		texts = append(texts, [2]string{"x509-subject", t.Subject}, [2]string{"x509-issuer", t.Issuer})
	}
	if h := o.HTTP; h != nil {
		texts = append(texts, [2]string{"http-server", h.Server}, [2]string{"favicon", faviconText(h)})
	}
	db := fingerprints()
	for _, t := range texts {
		if t[1] == "" {
			continue
		}
		product, version, ok := db.Identify(t[0], t[1])
		switch {
		case !ok:
		case o.Product == "":
			o.Product, o.Version = product, version
		case o.Product == product && o.Version == "":
			o.Version = version
		}
	}
}

// headerLines writes the headers as "Name: value" lines in canonical names,
// sorted.
func headerLines(h http.Header) string {
	var lines []string
	for name, values := range h {
		for _, v := range values {
			lines = append(lines, name+": "+v)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
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
