package exposure

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
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

// iconSite serves a page and its icon on a loopback address of its own, the
// Server header set when server is not empty, and counts the requests by path.
type iconSite struct {
	mu       sync.Mutex
	requests []string
}

func (s *iconSite) serve(t *testing.T, host, server, page string, files map[string][]byte) string {
	ln := listen(t, host)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.RequestURI())
		s.mu.Unlock()
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
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
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
				addr := site.serve(t, "127.0.79.20", "", c.page, map[string][]byte{c.path: icon})
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
	addr := site.serve(t, "127.0.79.21", "Apache/2.4.62 (Debian)", "<html></html>", map[string][]byte{"/favicon.ico": icon})
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
			addr := site.serve(t, "127.0.79.22", "", c.page, c.files)
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
	ln := listen(t, "127.0.79.22")
	var mu sync.Mutex
	var paths []string
	srv := &http.Server{ReadHeaderTimeout: time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/favicon.ico" {
			http.Redirect(w, r, "http://"+trap.Addr().String()+"/favicon.ico", http.StatusFound)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	o := &Observation{Address: netip.MustParseAddr("127.0.79.22")}
	probeAll(t.Context(), o, ln.Addr().String(), []string{"http"}, time.Second)
	mu.Lock()
	defer mu.Unlock()
	if o.HTTP == nil || o.HTTP.FaviconHash != nil || strings.Join(paths, " ") != "/ /favicon.ico" {
		t.Errorf("redirected icon: requests %q, hash %v", paths, o.HTTP)
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
