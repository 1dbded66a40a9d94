package exposure

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"go.yaml.in/yaml/v3"

	"care/internal/testkit/tcp"
)

// The shipped fingerprint files load (the CI check of the database), one file
// per protocol identification builds a text for.
func TestShippedFingerprintsLoad(t *testing.T) {
	db, err := LoadFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fingerprintProtocols {
		if len(db[p]) == 0 {
			t.Errorf("no fingerprint file for %s", p)
		}
	}
}

// Every example of every pattern, run through its protocol's whole file as
// identification runs it, gives its pattern's product and version.
func TestEveryFingerprintExample(t *testing.T) {
	db, err := LoadFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for protocol, list := range db {
		for _, f := range list {
			for _, e := range f.Examples {
				t.Run(fmt.Sprintf("%s:%d/%s", protocol, f.Line, e.Text), func(t *testing.T) {
					product, version, ok := db.Identify(protocol, e.Text)
					if !ok || product != f.Product || version != e.Version {
						t.Errorf("%q: %q %q (%v), want %q %q", e.Text, product, version, ok, f.Product, e.Version)
					}
				})
				n++
			}
		}
	}
	if n < 150 {
		t.Errorf("%d examples, want the database to cover at least 150", n)
	}
}

// A bad fingerprint file is refused at load with its file and line.
func TestBadFingerprintFilesAreRefused(t *testing.T) {
	products := []Product{{Key: "openbsd:openssh"}, {Key: "dropbear_ssh_project:dropbear_ssh"}}
	good := "patterns:\n  - product: openbsd:openssh\n    match: 'OpenSSH_([\\d.]+)'\n    version: 1\n    examples:\n      - {text: \"SSH-2.0-OpenSSH_9.6\", version: \"9.6\"}\n"
	if _, err := ParseFingerprints(fstest.MapFS{"f/ssh.yaml": {Data: []byte(good)}}, "f", products); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	for _, c := range []struct{ name, file, body, want string }{
		{"does not parse", "ssh.yaml", "patterns:\n  - product: [\n", "ssh.yaml: yaml: line 2"},
		{"unknown key", "ssh.yaml", strings.Replace(good, "    version: 1\n", "    version: 1\n    regex: x\n", 1), `ssh.yaml:5: unknown key "regex"`},
		{"bad regexp", "ssh.yaml", strings.Replace(good, `OpenSSH_([\d.]+)`, `OpenSSH_([\d.]+`, 1), "ssh.yaml:2: pattern"},
		{"unknown product", "ssh.yaml", strings.Replace(good, "openbsd:openssh", "openbsd:opensshd", 1), `ssh.yaml:2: unknown product "openbsd:opensshd"`},
		{"example not matched", "ssh.yaml", strings.Replace(good, `"SSH-2.0-OpenSSH_9.6"`, `"SSH-2.0-dropbear_2022.83"`, 1), "ssh.yaml:2: example \"SSH-2.0-dropbear_2022.83\": the pattern does not match it"},
		{"wrong version", "ssh.yaml", strings.Replace(good, `version: "9.6"`, `version: "9.6p1"`, 1), `ssh.yaml:2: example "SSH-2.0-OpenSSH_9.6": version "9.6" read, "9.6p1" expected`},
		{"no such group", "ssh.yaml", strings.Replace(good, "version: 1\n", "version: 2\n", 1), "ssh.yaml:2: version group 2"},
		{"no example", "ssh.yaml", "patterns:\n  - product: openbsd:openssh\n    match: 'OpenSSH'\n", "ssh.yaml:2: at least one example"},
		{"shadowed example", "ssh.yaml", good + "  - product: dropbear_ssh_project:dropbear_ssh\n    match: 'SSH-2'\n    examples:\n      - {text: \"SSH-2.0-OpenSSH_9.6\", version: \"\"}\n",
			`ssh.yaml:7: example "SSH-2.0-OpenSSH_9.6" is taken by the pattern of line 2`},
		{"unknown protocol", "sshd.yaml", good, `sshd.yaml: unknown protocol "sshd"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFingerprints(fstest.MapFS{"f/" + c.file: {Data: []byte(c.body)}}, "f", products)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// Services that speak first, each on a loopback socket of its own, are named
// with the product and version their banner carries.
func TestBannersNameTheirProduct(t *testing.T) {
	mysql := func(version string) string {
		payload := append([]byte{0x0a}, version...)
		payload = append(payload, 0, 1, 0, 0, 0)
		return string(append([]byte{byte(len(payload)), 0, 0, 0}, payload...))
	}
	for _, c := range []struct{ banner, service, product, version string }{
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "ssh", "openbsd:openssh", "9.2p1"},
		{"SSH-2.0-dropbear_2022.83\r\n", "ssh", "dropbear_ssh_project:dropbear_ssh", "2022.83"},
		{"220 (vsFTPd 3.0.3)\r\n", "ftp", "beasts:vsftpd", "3.0.3"},
		{"220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n", "ftp", "proftpd:proftpd", "1.3.8"},
		{"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n", "ftp", "pureftpd:pure-ftpd", ""},
		{"220 mx.ch-exemple.fr ESMTP Exim 4.96 Mon, 07 Dec 2026 10:00:00 +0100\r\n", "smtp", "exim:exim", "4.96"},
		{"220 mx.ch-exemple.fr ESMTP Postfix (Debian/GNU)\r\n", "smtp", "postfix:postfix", ""},
		{"220 mail.ch-exemple.fr Microsoft ESMTP MAIL Service ready at Mon, 7 Dec 2026 10:00:00 +0100\r\n", "smtp", "microsoft:exchange_server", ""},
		{"+OK Dovecot (Debian) ready.\r\n", "pop3", "dovecot:dovecot", ""},
		{"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n", "imap", "dovecot:dovecot", ""},
		{mysql("5.5.5-10.11.6-MariaDB-0+deb12u1"), "mysql", "mariadb:mariadb", "10.11.6"},
		{mysql("8.0.36"), "mysql", "oracle:mysql", "8.0.36"},
		{"RFB 005.000\n", "vnc", "realvnc:realvnc", ""},
		{"\xff\xfb\x01\xff\xfb\x03MikroTik v6.49.7 (stable)\r\nLogin: ", "telnet", "mikrotik:routeros", "6.49.7"},
	} {
		t.Run(c.product, func(t *testing.T) {
			ln := tcp.Listen(t, "127.0.79.1:0", tcp.Greeting([]byte(c.banner)))
			o := &Observation{Address: netip.MustParseAddr("127.0.79.1"), Port: tcp.Port(ln)}
			identify(t.Context(), o, time.Second)
			if o.Service != c.service || o.Product != c.product || o.Version != c.version {
				t.Errorf("%q: %q %q %q, want %q %q %q", c.banner, o.Service, o.Product, o.Version, c.service, c.product, c.version)
			}
		})
	}
}

// Services that wait to be asked answer the light probes; each listener checks
// that it received the documented question, and replays a recorded answer.
func TestProbesNameTheirProduct(t *testing.T) {
	pgError := func(fields ...string) string {
		body := strings.Join(fields, "\x00") + "\x00\x00"
		n := len(body) + 4
		return "E" + string([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + body
	}
	ldapAnswer := "0\x84\x00\x00\x00\x4b\x02\x01\x01d\x84\x00\x00\x00\x42\x04\x000\x84\x00\x00\x00\x3a0\x84\x00\x00\x00\x1b\x04\x0bobjectClass1\x84\x00\x00\x00\x08\x04\x03top\x04\x0fOpenLDAProotDSE"
	for _, c := range []struct{ kind, question, answer, service, product, version string }{
		{"redis", "INFO server\r\n", "$245\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n", "redis", "redis:redis", "7.0.15"},
		{"redis", "INFO server\r\n", "-NOAUTH Authentication required.\r\n", "redis", "redis:redis", ""},
		{"memcached", "version\r\n", "VERSION 1.6.18\r\n", "memcached", "memcached:memcached", "1.6.18"},
		{"postgresql", string(pgStartup), pgError("SFATAL", "VFATAL", "C0A000", "Munsupported frontend protocol 9.0: server supports 3.0 to 3.0", "Fpostmaster.c", "L2136", "RProcessStartupPacket"), "postgresql", "postgresql:postgresql", ""},
		{"ldap", string(ldapRootDSE), ldapAnswer, "ldap", "openldap:openldap", ""},
		{"rdp", string(rdpRequest), "\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00", "rdp", "microsoft:remote_desktop_services", ""},
	} {
		t.Run(c.product+"/"+c.kind, func(t *testing.T) {
			ln := tcp.Listen(t, "127.0.79.2:0", func(conn net.Conn) {
				buf := make([]byte, len(c.question))
				if _, err := conn.Read(buf); err != nil || !bytes.Equal(buf, []byte(c.question)) {
					return // not the documented question: no answer
				}
				_, _ = conn.Write([]byte(c.answer))
			})
			o := &Observation{Address: netip.MustParseAddr("127.0.79.2"), Port: tcp.Port(ln)}
			if !probeAll(t.Context(), o, ln.Addr().String(), []string{c.kind}, time.Second) {
				t.Fatalf("the %s probe was not answered", c.kind)
			}
			if o.Service != c.service || o.Product != c.product || o.Version != c.version {
				t.Errorf("%q %q %q, want %q %q %q (text %q)", o.Service, o.Product, o.Version, c.service, c.product, c.version, o.Banner)
			}
		})
	}
}

// The appliances that carry the KEV rules are recognised from recorded answers
// to GET / (testdata/appliances, written by us), replayed on loopback.
func TestAppliancesFromRecordedResponses(t *testing.T) {
	want := map[string][2]string{
		"fortios-redirect": {"fortinet:fortios", ""}, "fortios-cookie": {"fortinet:fortios", ""}, "fortios-title": {"fortinet:fortios", ""},
		"netscaler-redirect": {"citrix:netscaler_gateway", ""}, "netscaler-title": {"citrix:netscaler_gateway", ""},
		"ivanti-redirect": {"ivanti:connect_secure", ""}, "ivanti-title": {"ivanti:connect_secure", ""}, "pulse-title": {"pulsesecure:pulse_connect_secure", ""},
		"panos-redirect": {"paloaltonetworks:pan-os", ""}, "panos-title": {"paloaltonetworks:pan-os", ""},
		"exchange-owa-version": {"microsoft:exchange_server", "15.2.1544.4"}, "exchange-redirect": {"microsoft:exchange_server", ""},
		"exchange-title": {"microsoft:exchange_server", ""}, "moveit-title": {"progress:moveit_transfer", ""}, "moveit-redirect": {"progress:moveit_transfer", ""},
	}
	files, _ := filepath.Glob("testdata/appliances/*.http")
	if len(files) != len(want) {
		t.Errorf("%d recorded responses, %d expected", len(files), len(want))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".http")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			head, body, _ := bytes.Cut(raw, []byte("\n\n"))
			reply := append(bytes.ReplaceAll(head, []byte("\n"), []byte("\r\n")), "\r\n\r\n"...)
			reply = append(reply, body...)
			ln := tcp.Listen(t, "127.0.79.3:0", func(c net.Conn) {
				_, _ = c.Read(make([]byte, 4096))
				_, _ = c.Write(reply)
			})
			o := &Observation{Address: netip.MustParseAddr("127.0.79.3"), Port: tcp.Port(ln)}
			if !probeAll(t.Context(), o, ln.Addr().String(), []string{"http"}, time.Second) {
				t.Fatal("no HTTP answer")
			}
			if w := want[name]; o.Product != w[0] || o.Version != w[1] {
				t.Errorf("%s: %q %q, want %q %q", name, o.Product, o.Version, w[0], w[1])
			}
		})
	}
}

// A FortiGate's factory certificate names it on a TLS port whose web page
// says nothing; the Server header then names no product of its own.
func TestApplianceFromCertificate(t *testing.T) {
	for _, c := range []struct {
		subject pkix.Name
		product string
	}{
		{pkix.Name{CommonName: "FGT60FTK21012345", OrganizationalUnit: []string{"FortiGate"}, Organization: []string{"Fortinet"}, Country: []string{"US"}}, "fortinet:fortios"},
		{pkix.Name{CommonName: "default0a1b2c3d", OrganizationalUnit: []string{"NS Internal"}, Organization: []string{"Citrix ANG"}, Country: []string{"US"}}, "citrix:netscaler_gateway"},
	} {
		t.Run(c.product, func(t *testing.T) {
			ln := listen(t, "127.0.79.4")
			cert := certificate(t, nil, nil, certOpts{notAfter: time.Now().Add(24 * time.Hour), selfSign: true, subject: c.subject})
			webServer(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Server", "nginx")
			}))
			o := &Observation{Address: netip.MustParseAddr("127.0.79.4"), Port: tcp.Port(ln)}
			if !probeAll(t.Context(), o, ln.Addr().String(), []string{"tls"}, 2*time.Second) {
				t.Fatal("no TLS answer")
			}
			if o.Product != c.product {
				t.Errorf("%q (subject %q), want %q", o.Product, o.TLS.Subject, c.product)
			}
		})
	}
}

// recordedBanner is one line of testdata/banners/recorded.json: what a service
// of the protocol says (a banner, a MySQL version, an HTTP Server header) and
// what identification must name. The benchmark (scripts/bench-identify.sh)
// serves the same file to care and nmap.
type recordedBanner struct {
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
	Banner   string `json:"banner"`
	Product  string `json:"product"`
	Version  string `json:"version"`
}

// reply is what a server of the recorded banner writes: its greeting, or the
// answer to any request (HTTP).
func (r recordedBanner) reply() []byte {
	switch r.Protocol {
	case "http":
		return []byte("HTTP/1.0 200 OK\r\nServer: " + r.Banner + "\r\nContent-Type: text/html\r\n\r\n<html></html>")
	case "mysql":
		payload := append([]byte{0x0a}, r.Banner...)
		payload = append(payload, 0, 1, 0, 0, 0)
		return append([]byte{byte(len(payload)), 0, 0, 0}, payload...)
	}
	return []byte(r.Banner)
}

// A few hundred recorded banners of the products a hospital's Internet exposure
// shows, written by us, each served on a loopback socket, are identified with
// their product and version.
func TestRecordedBanners(t *testing.T) {
	data, err := os.ReadFile("testdata/banners/recorded.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []recordedBanner
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 200 {
		t.Fatalf("%d recorded banners, want at least 200", len(rows))
	}
	for _, r := range rows {
		reply := r.reply()
		ln := tcp.Listen(t, "127.0.79.5:0", func(c net.Conn) {
			if r.Protocol == "http" {
				_, _ = c.Read(make([]byte, 4096))
			}
			_, _ = c.Write(reply)
		})
		o := &Observation{Address: netip.MustParseAddr("127.0.79.5"), Port: tcp.Port(ln)}
		if r.Protocol == "http" {
			probeAll(t.Context(), o, ln.Addr().String(), []string{"http"}, time.Second)
		} else {
			identify(t.Context(), o, time.Second)
		}
		if o.Product != r.Product || o.Version != r.Version {
			t.Errorf("%s %q: %q %q, want %q %q", r.Protocol, r.Banner, o.Product, o.Version, r.Product, r.Version)
		}
		ln.Close()
	}
}

// A mail server that greets inside TLS (IMAPS) is named from its greeting.
func TestGreetingInsideTLS(t *testing.T) {
	cert := certificate(t, nil, nil, certOpts{notAfter: time.Now().Add(24 * time.Hour), selfSign: true})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	ln := tcp.Listen(t, "127.0.79.6:0", func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_, _ = tc.Write([]byte("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot (Debian) ready.\r\n"))
		_, _ = tc.Read(make([]byte, 64))
	})
	o := &Observation{Address: netip.MustParseAddr("127.0.79.6"), Port: tcp.Port(ln)}
	if !probeAll(t.Context(), o, ln.Addr().String(), []string{"tls", "http"}, 2*time.Second) {
		t.Fatal("no answer")
	}
	if o.Service != "imaps" || o.Product != "dovecot:dovecot" || o.TLS == nil {
		t.Errorf("%q %q %q, want imaps dovecot:dovecot with its TLS", o.Service, o.Product, o.Banner)
	}
}

// MurmurHash3_x86_32 gives the published values: the SMHasher verification
// vectors as quoted with the algorithm (empty input with seeds 0, 1 and
// 0xffffffff, four zero bytes, "aaaa", "Hello, world!" and the quick brown fox
// with seed 0x9747b28c), the mmh3 module's documented "foo", and tails of one
// to three bytes checked against testdata/favicons/mmh3_reference.py, written
// in Python from the algorithm's description.
func TestMurmur3Vectors(t *testing.T) {
	for _, c := range []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0},
		{"", 1, 0x514e28b7},
		{"", 0xffffffff, 0x81f16f39},
		{"\x00\x00\x00\x00", 0, 0x2362f9de},
		{"aaaa", 0x9747b28c, 0x5a97808a},
		{"Hello, world!", 0x9747b28c, 0x24884cba},
		{"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd},
		{"foo", 0, uint32(0xf6a5c420)}, // mmh3.hash("foo") == -156908512
		{"hello", 0, 0x248bfa47},       // 613153351
		{"a", 0, 0x3c2569b2},
		{"ab", 0, 0x9bbfd75f},
		{"abc", 0, 0xb3dd93fa},
	} {
		if got := murmur3([]byte(c.in), c.seed); got != c.want {
			t.Errorf("murmur3(%q, %#x) = %#x, want %#x", c.in, c.seed, got, c.want)
		}
	}
}

// The icon is hashed in base64 as Python's base64.encodebytes writes it: a
// newline after each 76 characters and after the last line, nothing for an
// empty icon.
func TestEncodeBytesLikePython(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{3, "AAAA\n"},
		{57, strings.Repeat("A", 76) + "\n"},
		{58, strings.Repeat("A", 76) + "\nAA==\n"},
		{114, strings.Repeat("A", 76) + "\n" + strings.Repeat("A", 76) + "\n"},
	} {
		if got := string(encodeBytes(make([]byte, c.n))); got != c.want {
			t.Errorf("%d zero bytes: %q, want %q", c.n, got, c.want)
		}
	}
}

// faviconEntries reads the shipped favicon.yaml as written.
func faviconEntries(t *testing.T) []FaviconEntry {
	t.Helper()
	data, err := os.ReadFile("content/fingerprints/favicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Hashes []FaviconEntry `yaml:"hashes"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Hashes
}

// iconSite is a web server on a loopback address of its own that records the
// requests it gets.
type iconSite struct {
	mu       sync.Mutex
	requests []string
}

// serve answers with h on host and returns the address.
func (s *iconSite) serve(t *testing.T, host string, h http.HandlerFunc) string {
	ln := listen(t, host)
	webServer(t, ln, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.RequestURI())
		s.mu.Unlock()
		h(w, r)
	}))
	return ln.Addr().String()
}

// pageAndIcons answers / with page and the paths of files with their icon, the
// Server header set when server is not empty.
func pageAndIcons(server, page string, files map[string][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if server != "" {
			w.Header().Set("Server", server)
		}
		switch body, ok := files[r.URL.Path]; {
		case r.URL.Path == "/":
			_, _ = io.WriteString(w, page)
		case ok:
			w.Header().Set("Content-Type", "image/vnd.microsoft.icon")
			_, _ = w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}
}

// The real icons of Debian packages (testdata/favicons, copied from the
// packages) hash to the values favicon.yaml gives them, and a web service that
// serves one, at /favicon.ico or where its page's <link rel="icon"> says, is
// named with the package's product.
func TestRealIconsNameTheirProduct(t *testing.T) {
	n := 0
	for _, e := range faviconEntries(t) {
		if e.ExampleFile == "" {
			continue
		}
		n++
		t.Run(e.Product, func(t *testing.T) {
			icon, err := os.ReadFile(e.ExampleFile)
			if err != nil {
				t.Fatal(err)
			}
			if h := FaviconHash(icon); int64(h) != e.Hash {
				t.Fatalf("%s hashes to %d, favicon.yaml says %d", e.ExampleFile, h, e.Hash)
			}
			for _, c := range []struct{ name, page, path string }{
				{"default path", "<html><head><title>Connexion</title></head></html>", "/favicon.ico"},
				{"link rel icon", `<html><head><link rel="shortcut icon" href="skins/elastic/images/favicon.ico?s=1700000000"></head></html>`, "/skins/elastic/images/favicon.ico"},
			} {
				site := &iconSite{}
				addr := site.serve(t, "127.0.79.20", pageAndIcons("", c.page, map[string][]byte{c.path: icon}))
				o := &Observation{Address: netip.MustParseAddr("127.0.79.20")}
				if !probeAll(t.Context(), o, addr, []string{"http"}, time.Second) {
					t.Fatalf("%s: no HTTP answer", c.name)
				}
				if o.Product != e.Product || o.HTTP.FaviconHash == nil || int64(*o.HTTP.FaviconHash) != e.Hash {
					t.Errorf("%s: product %q (hash %v), want %q", c.name, o.Product, o.HTTP.FaviconHash, e.Product)
				}
			}
		})
	}
	if n < 3 {
		t.Errorf("%d real icons, want the three Debian packages", n)
	}
}

// The icon names the product only when nothing else did: a Server header that
// names a product and its version keeps them; on a page that says nothing, the
// hash of an appliance from favicon.yaml names it.
func TestFaviconDoesNotOverrideAPreciseIdentification(t *testing.T) {
	icon, err := os.ReadFile("testdata/favicons/zabbix.ico")
	if err != nil {
		t.Fatal(err)
	}
	site := &iconSite{}
	addr := site.serve(t, "127.0.79.21", pageAndIcons("Apache/2.4.62 (Debian)", "<html></html>", map[string][]byte{"/favicon.ico": icon}))
	o := &Observation{Address: netip.MustParseAddr("127.0.79.21")}
	probeAll(t.Context(), o, addr, []string{"http"}, time.Second)
	if o.Product != "apache:http_server" || o.Version != "2.4.62" || o.HTTP.FaviconHash == nil {
		t.Errorf("%q %q (hash %v), want the Server header's apache:http_server 2.4.62", o.Product, o.Version, o.HTTP.FaviconHash)
	}
	for hash, product := range map[int32]string{945408572: "fortinet:fortios", -631559155: "paloaltonetworks:pan-os", 1768726119: "microsoft:exchange_server"} {
		o := &Observation{HTTP: &HTTPInfo{Status: 200, FaviconHash: &hash, header: http.Header{"Content-Type": {"text/html"}}}}
		productFromHTTP(o)
		if o.Product != product || o.Version != "" {
			t.Errorf("hash %d: %q %q, want %q", hash, o.Product, o.Version, product)
		}
	}
}

// The icon's address: the page's <link rel="icon"> when it stays on the page's
// scheme, host and port, else /favicon.ico.
func TestFaviconURL(t *testing.T) {
	page, _ := url.Parse("https://192.0.2.10:8443/")
	def := "https://192.0.2.10:8443/favicon.ico"
	for _, c := range []struct{ body, want string }{
		{"<html></html>", def},
		{`<link rel="icon" href="/static/icon.png">`, "https://192.0.2.10:8443/static/icon.png"},
		{`<LINK REL='Shortcut Icon' HREF='img/f.ico?v=2&amp;x=1'>`, "https://192.0.2.10:8443/img/f.ico?v=2&x=1"},
		{`<link href=/i.ico rel=icon>`, "https://192.0.2.10:8443/i.ico"},
		{`<link rel="stylesheet" href="/a.css"><link rel="icon" href="https://192.0.2.10:8443/b.ico#x">`, "https://192.0.2.10:8443/b.ico"},
		{`<link rel="apple-touch-icon" href="/touch.png">`, def},
		{`<link rel="icon" href="https://cdn.example.org/f.ico">`, def},
		{`<link rel="icon" href="//192.0.2.11:8443/f.ico">`, def},
		{`<link rel="icon" href="http://192.0.2.10:8443/f.ico">`, def},
		{`<link rel="icon" href="https://192.0.2.10/f.ico">`, def},
		{`<link rel="icon" href="data:image/png;base64,AAAA">`, def},
		{`<link rel="icon" href="">`, def},
	} {
		if got := faviconURL(page, []byte(c.body)); got != c.want {
			t.Errorf("%s: %q, want %q", c.body, got, c.want)
		}
	}
}

// One GET for the icon, nothing followed: a missing icon, a redirect (that may
// leave the declared target) and an answer over the cap give no hash; the
// request count shows the page and the icon only.
func TestFaviconFetchStaysOnTheTarget(t *testing.T) {
	var trapped atomic.Int32 // connections to an address that is not the target
	trap := tcp.Listen(t, "127.0.79.23:0", func(net.Conn) { trapped.Add(1) })
	for _, c := range []struct {
		name  string
		files map[string][]byte
		page  string
		want  []string
		hash  bool
	}{
		{"icon", map[string][]byte{"/favicon.ico": []byte("icon")}, "", []string{"/", "/favicon.ico"}, true},
		{"missing", nil, "", []string{"/", "/favicon.ico"}, false},
		{"over the cap", map[string][]byte{"/favicon.ico": bytes.Repeat([]byte{1}, faviconCap+1)}, "", []string{"/", "/favicon.ico"}, false},
		{"off-host link", map[string][]byte{"/favicon.ico": []byte("icon")}, `<link rel="icon" href="http://` + trap.Addr().String() + `/f.ico">`, []string{"/", "/favicon.ico"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			site := &iconSite{}
			addr := site.serve(t, "127.0.79.22", pageAndIcons("", c.page, c.files))
			o := &Observation{Address: netip.MustParseAddr("127.0.79.22")}
			probeAll(t.Context(), o, addr, []string{"http"}, time.Second)
			site.mu.Lock()
			defer site.mu.Unlock()
			if strings.Join(site.requests, " ") != strings.Join(c.want, " ") {
				t.Errorf("requests %q, want %q", site.requests, c.want)
			}
			if (o.HTTP.FaviconHash != nil) != c.hash {
				t.Errorf("hash %v, want one: %v", o.HTTP.FaviconHash, c.hash)
			}
		})
	}
	// A redirect for the icon is not followed.
	site := &iconSite{}
	addr := site.serve(t, "127.0.79.22", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.Redirect(w, r, "http://"+trap.Addr().String()+"/favicon.ico", http.StatusFound)
		}
	})
	o := &Observation{Address: netip.MustParseAddr("127.0.79.22")}
	probeAll(t.Context(), o, addr, []string{"http"}, time.Second)
	site.mu.Lock()
	defer site.mu.Unlock()
	if o.HTTP == nil || o.HTTP.FaviconHash != nil || strings.Join(site.requests, " ") != "/ /favicon.ico" {
		t.Errorf("redirected icon: requests %q, hash %v", site.requests, o.HTTP)
	}
	if n := trapped.Load(); n != 0 {
		t.Errorf("%d connections left the target", n)
	}
}

// A bad favicon file is refused at load with its file and line.
func TestBadFaviconFilesAreRefused(t *testing.T) {
	products := []Product{{Key: "fortinet:fortios"}}
	good := "hashes:\n  - hash: 945408572\n    product: fortinet:fortios\n    source: deux sources\n"
	db, err := ParseFingerprints(fstest.MapFS{"f/favicon.yaml": {Data: []byte(good)}}, "f", products)
	if err != nil {
		t.Fatalf("the good file: %v", err)
	}
	if p, _, ok := db.Identify("favicon", "945408572"); !ok || p != "fortinet:fortios" {
		t.Errorf("the good file's hash: %q %v", p, ok)
	}
	if _, _, ok := db.Identify("favicon", "9454085720"); ok {
		t.Error("a longer number matched the hash")
	}
	for _, c := range []struct{ name, body, want string }{
		{"does not parse", "hashes:\n  - hash: [\n", "favicon.yaml: yaml: line 2"},
		{"unknown key", good + "    version: 1\n", `favicon.yaml:5: unknown key "version"`},
		{"no hash", "hashes:\n  - product: fortinet:fortios\n    source: x\n", "favicon.yaml:2: hash missing"},
		{"not a number", strings.Replace(good, "945408572", "fortigate", 1), "favicon.yaml:2:"},
		{"over 32 bits", strings.Replace(good, "945408572", strconv.Itoa(1<<31), 1), "favicon.yaml:2: hash 2147483648: not a signed 32-bit integer"},
		{"given twice", good + "  - hash: 945408572\n    product: fortinet:fortios\n    source: y\n", "favicon.yaml:5: hash 945408572 already given at line 2"},
		{"unknown product", strings.Replace(good, "fortinet:fortios", "fortinet:fortigate", 1), `favicon.yaml:2: unknown product "fortinet:fortigate"`},
		{"no source", strings.Replace(good, "deux sources", `""`, 1), "favicon.yaml:2: a source is needed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFingerprints(fstest.MapFS{"f/favicon.yaml": {Data: []byte(c.body)}}, "f", products)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}
