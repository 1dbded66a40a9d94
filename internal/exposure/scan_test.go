package exposure

import (
	"care/internal/testkit/tcp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// Services emulated on a loopback address of the test's own: each speaks the first
// bytes of its protocol, enough for identification, nothing more.

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func banner(text string) func(net.Conn) { return tcp.Greeting([]byte(text)) }

// answer reads the client's greeting, then replies.
func answer(reply []byte) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 512)
		if n, err := c.Read(buf); err != nil || n == 0 {
			return
		}
		_, _ = c.Write(reply)
	}
}

type certOpts struct {
	notAfter time.Time
	selfSign bool
	names    []string
	subject  pkix.Name // the leaf's subject; CN=portail.hopital.test when empty
}

// certificate makes a leaf for 127.0.0.x, signed by ca (or by itself).
func certificate(t *testing.T, ca *x509.Certificate, caKey *rsa.PrivateKey, o certOpts) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "portail.hopital.test"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: o.notAfter, DNSNames: o.names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if o.subject.String() != "" {
		tmpl.Subject = o.subject
	}
	for _, n := range o.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses, tmpl.DNSNames = append(tmpl.IPAddresses, ip), nil
		}
	}
	parent, signer := ca, caKey
	if o.selfSign {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func testCA(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA de test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return ca, key
}

// webServer serves h on ln, through TLS when cfg is set, until the test ends.
func webServer(t *testing.T, ln net.Listener, cfg *tls.Config, h http.Handler) {
	srv := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// The whole fixture on 127.0.77.1 (lab mode), scanned with identification: each
// service is recognised and raises the findings it should; closed ports are not
// reported.
func TestScanIdentifiesEmulatedServices(t *testing.T) {
	const host = "127.0.77.1"
	ca, caKey := testCA(t)
	Roots = x509.NewCertPool()
	Roots.AddCert(ca)
	t.Cleanup(func() { Roots = nil })

	ports := map[string]int{}
	mk := func(name string, fn func(net.Listener)) {
		ln := listen(t, host)
		ports[name] = tcp.Port(ln)
		fn(ln)
	}
	served := func(name string, fn func(net.Conn)) { ports[name] = tcp.Port(tcp.Listen(t, host+":0", fn)) }
	served("ssh", banner("SSH-2.0-OpenSSH_7.4\r\n"))
	served("telnet", banner("\xff\xfd\x18\xff\xfd\x20"))
	served("ftp", banner("220 (vsFTPd 3.0.3)\r\n"))
	served("rdp", answer([]byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00}))
	served("smb", answer(append([]byte{0, 0, 0, 68, 0xfe, 'S', 'M', 'B', 64, 0}, make([]byte, 58)...)))
	mk("http", func(ln net.Listener) {
		webServer(t, ln, nil, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Server", "Apache/2.4.49 (Unix)")
			_, _ = w.Write([]byte("<html><title>Intranet</title></html>"))
		}))
	})
	mk("expired", func(ln net.Listener) {
		cert := certificate(t, ca, caKey, certOpts{notAfter: time.Now().Add(-24 * time.Hour), names: []string{host}})
		webServer(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}}, http.NotFoundHandler())
	})
	mk("selfsigned", func(ln net.Listener) {
		cert := certificate(t, nil, nil, certOpts{notAfter: time.Now().Add(90 * 24 * time.Hour), selfSign: true, names: []string{"autre.example.test"}})
		webServer(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
			w.Header().Set("X-Content-Type-Options", "nosniff")
		}))
	})
	mk("tls10", func(ln net.Listener) {
		cert := certificate(t, ca, caKey, certOpts{notAfter: time.Now().Add(90 * 24 * time.Hour), names: []string{host}})
		cert.Certificate = append(cert.Certificate, ca.Raw)
		webServer(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}, http.NotFoundHandler())
	})
	closed := listen(t, host) // opened then closed: nothing listens there any more
	closedPort := tcp.Port(closed)
	closed.Close()

	var list []int
	for _, p := range ports {
		list = append(list, p)
	}
	list = append(list, closedPort)
	addr := netip.MustParseAddr(host)
	obs, err := Scan(t.Context(), []netip.Addr{addr}, Options{Ports: list, Identify: true, Timeout: time.Second, ProbeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	byPort := map[int]Observation{}
	for _, o := range obs {
		byPort[o.Port] = o
	}
	if _, ok := byPort[closedPort]; ok || len(obs) != len(ports) {
		t.Errorf("%d open ports reported, want %d (closed port %d excluded)", len(obs), len(ports), closedPort)
	}
	want := map[string]string{"ssh": "ssh", "telnet": "telnet", "ftp": "ftp", "rdp": "rdp", "smb": "smb", "http": "http", "expired": "https", "selfsigned": "https", "tls10": "https"}
	for name, service := range want {
		if got := byPort[ports[name]].Service; got != service {
			t.Errorf("%s on port %d identified as %q, want %q", name, ports[name], got, service)
		}
	}
	if o := byPort[ports["ssh"]]; o.Product != "openbsd:openssh" || o.Version != "7.4" {
		t.Errorf("ssh product %q version %q", o.Product, o.Version)
	}
	if o := byPort[ports["http"]]; o.Product != "apache:http_server" || o.Version != "2.4.49" || o.HTTP.Title != "Intranet" {
		t.Errorf("http: %+v %+v", o, o.HTTP)
	}
	if o := byPort[ports["tls10"]]; o.TLS == nil || !slices.Contains(o.TLS.OldVersions, "TLS 1.0") || o.TLS.WeakCipher == "" || !o.TLS.Trusted || !o.TLS.NameMatch {
		t.Errorf("tls 1.0 server: %+v", o.TLS)
	}

	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	findings := r.Findings(obs, time.Now())
	has := func(name, check string) bool {
		for _, f := range findings {
			if f.Port == ports[name] && f.Check == check {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ name, check string }{
		{"ssh", "ssh-old-version"}, {"expired", "cert-expired"}, {"selfsigned", "cert-self-signed"}, {"selfsigned", "cert-name-mismatch"},
		{"tls10", "tls-old-version"}, {"tls10", "tls-weak-cipher"}, {"http", "http-no-https-redirect"}, {"http", "http-no-csp"},
		{"http", "http-version-disclosure"}, {"http", "CVE-2021-41773"},
	} {
		if !has(c.name, c.check) {
			t.Errorf("no %s finding on the %s service", c.check, c.name)
		}
	}
	if has("selfsigned", "http-no-hsts") || has("selfsigned", "http-no-csp") {
		t.Error("headers that are present were reported missing")
	}
	if has("tls10", "cert-untrusted") || has("tls10", "cert-expired") {
		t.Error("a valid certificate chained to the trusted CA was reported")
	}
	// Services that must not face the Internet are reported by what they are,
	// wherever they listen.
	exposedRule := func(service string) bool {
		for _, f := range findings {
			if f.Port == ports[service] && (f.Severity == "critical" || f.Severity == "high") && !strings.HasPrefix(f.Check, "CVE") && !strings.HasPrefix(f.Check, "ssh") {
				return true
			}
		}
		return false
	}
	for _, s := range []string{"rdp", "smb", "telnet"} {
		if !exposedRule(s) {
			t.Errorf("the exposed %s service raised no critical or high finding", s)
		}
	}
}

func TestScopeRefusesWhatIsNotDeclaredOrPublic(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/8", "192.168.0.0/16", "not a target", "-bad-.example.org"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("target %q accepted", bad)
		}
	}
	var targets []Target
	for _, s := range []string{"127.0.77.1", "192.168.1.10", "93.184.216.0/30", "nxdomain.invalid"} {
		tg, err := ParseTarget(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		targets = append(targets, tg)
	}
	_, err := Scope{Targets: targets}.Resolve(context.Background(), noResolver{})
	if err == nil || !strings.Contains(err.Error(), "exposure.error.not_public") || !strings.Contains(err.Error(), "exposure.error.unresolved") {
		t.Errorf("out-of-scope addresses were not refused: %v", err)
	}
	doc, _ := ParseTarget("203.0.113.10")
	if _, err := (Scope{Targets: []Target{doc}, Lab: true}).Resolve(context.Background(), noResolver{}); err == nil || !strings.Contains(err.Error(), "exposure.error.documentation") {
		t.Errorf("a documentation address in lab mode: %v", err)
	}
	got, err := Scope{Targets: targets[:1], Lab: true}.Resolve(context.Background(), noResolver{})
	if err != nil || len(got) != 1 {
		t.Errorf("lab mode on loopback: %v %v", got, err)
	}
	pub, err := Scope{Targets: targets[2:3]}.Resolve(context.Background(), noResolver{})
	if err != nil || len(pub) != 4 {
		t.Errorf("a public /30 gives 4 addresses: %v %v", pub, err)
	}
	for spec, want := range map[string]int{"22,80,8000-8002": 5, "top": len(TopPorts), "all": 65535} {
		if p, err := ParsePorts(spec); err != nil || len(p) != want {
			t.Errorf("ports %q: %d %v", spec, len(p), err)
		}
	}
	for _, bad := range []string{"", "0", "70000", "80-20", "web"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("port list %q accepted", bad)
		}
	}
	if err := CheckSize(256, 65535); err == nil {
		t.Error("256 × 65,535 probes were allowed")
	}
}

type noResolver struct{}

func (noResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"8.9p1", "9.8p1", -1}, {"9.8p1", "8.5p1", 1}, {"13.1-49.15", "13.1-49.13", 1}, {"9.1R11.4", "9.1R11.4", 0}, {"2.4.49", "2.4.50", -1}, {"7.4", "8.0", -1}} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("%s vs %s: %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
