package directory_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
	"care/internal/testkit/tcp"
)

// trap is an LDAP port that records every byte sent to it and answers a bind with
// an LDAP error (unwillingToPerform), or closes the connection when garbage is set.
type trap struct {
	ln      net.Listener
	mu      sync.Mutex
	got     bytes.Buffer
	garbage bool
}

func newTrap(t *testing.T, addr string, garbage bool) *trap {
	t.Helper()
	tr := &trap{garbage: garbage}
	tr.ln = tcp.Listen(t, addr, tr.serve) // an LDAP port: the test needs root
	return tr
}

func (tr *trap) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if tr.garbage {
		c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
		return
	}
	p, err := ber.ReadPacket(c)
	if err != nil {
		return
	}
	tr.mu.Lock()
	tr.got.Write(p.Bytes())
	tr.mu.Unlock()
	if len(p.Children) < 1 {
		return
	}
	resp := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
	resp.AppendChild(p.Children[0]) // message id
	bind := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 1, nil, "Bind Response")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 53, "resultCode"))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "internal host secret-banner", "diagnostic"))
	resp.AppendChild(bind)
	c.Write(resp.Bytes())
}

func (tr *trap) saw(s string) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return bytes.Contains(tr.got.Bytes(), []byte(s))
}

// A stored bind password goes only to the server, account and protection it was
// stored with: neither a run with another address nor a changed source sends it
// elsewhere.
func TestStoredPasswordStaysWithItsServer(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		key := make([]byte, 32)
		rand.Read(key)
		app := testkit.NewApp(t, d, func(c *server.Config) { c.SecretKey = key })
		tr := newTrap(t, "127.0.0.7:389", false)
		const stored = "stored-Secret-4711"
		rssi := app.Token(t, "dsi@demo.care.test")
		path := orgPath(t, app)
		src := map[string]any{"url": "ldaps://127.0.0.1", "bind_dn": "audit@care.test", "password": stored, "every_days": 7}
		if resp := app.API(t, rssi, "PUT", path+"/directory/source", src, nil); resp.StatusCode != 200 && resp.StatusCode != 204 {
			t.Fatalf("save source: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var sealed []byte
		app.DB.Read.QueryRow("SELECT password_enc FROM directory_sources").Scan(&sealed)

		// A run with an empty password and another address uses the stored source
		// whole: the trap sees nothing (the stored server is not there: 422).
		run := map[string]any{"url": "ldap://127.0.0.7:389", "bind_dn": "x@evil.test", "password": "", "allow_plain": true}
		resp := app.API(t, rssi, "POST", path+"/directory/audits", run, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 422 || strings.Contains(body, stored) {
			t.Errorf("run elsewhere with the stored password: %d %s", resp.StatusCode, body)
		}
		if tr.saw(stored) {
			t.Fatal("a run sent the stored password to another server")
		}

		// Changing the address, the account or the protection without the password
		// is refused and changes nothing.
		for name, change := range map[string]func(m map[string]any){
			"address":  func(m map[string]any) { m["url"] = "ldap://127.0.0.7:389"; m["starttls"] = true },
			"account":  func(m map[string]any) { m["bind_dn"] = "other@care.test" },
			"security": func(m map[string]any) { m["insecure_skip_verify"] = true },
			"plain":    func(m map[string]any) { m["url"] = "ldap://127.0.0.7:389"; m["allow_plain"] = true },
		} {
			moved := map[string]any{"url": "ldaps://127.0.0.1", "bind_dn": "audit@care.test", "password": "", "every_days": 7}
			change(moved)
			resp := app.API(t, rssi, "PUT", path+"/directory/source", moved, nil)
			if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "password") && !strings.Contains(body, "url") {
				t.Errorf("%s changed without the password: %d %s", name, resp.StatusCode, body)
			}
		}
		// Plain LDAP is refused for a stored password even when one is given.
		plain := map[string]any{"url": "ldap://127.0.0.7:389", "bind_dn": "audit@care.test", "password": "new-one", "allow_plain": true, "every_days": 7}
		if resp := app.API(t, rssi, "PUT", path+"/directory/source", plain, nil); resp.StatusCode != 422 {
			t.Errorf("plain LDAP with a stored password: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var after []byte
		var url string
		app.DB.Read.QueryRow("SELECT password_enc, url FROM directory_sources").Scan(&after, &url)
		if !bytes.Equal(after, sealed) || url != "ldaps://127.0.0.1" {
			t.Fatalf("a refused change changed the source: %s", url)
		}

		// Even a row changed behind the platform's back does not open the password
		// for the new address: the seal names the destination.
		app.DB.Write.Exec("UPDATE directory_sources SET url = 'ldap://127.0.0.7:389', starttls = $1, next_run_at = $2", true, db.Now().Add(-time.Minute))
		if n, err := app.Server.Directory.RunDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("scheduled run: %d %v", n, err)
		}
		app.DB.Write.Exec("UPDATE directory_sources SET url = 'ldap://127.0.0.7:389', starttls = $1, allow_plain = $1, next_run_at = $2", false, db.Now().Add(-time.Minute))
		app.DB.Write.Exec("UPDATE directory_sources SET allow_plain = $1", true)
		if n, err := app.Server.Directory.RunDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("scheduled run: %d %v", n, err)
		}
		if tr.saw(stored) {
			t.Fatal("the stored password was sent to another server")
		}
		var lastError string
		app.DB.Read.QueryRow("SELECT last_error FROM directory_sources").Scan(&lastError)
		if lastError == "" {
			t.Error("the refused scheduled run says nothing")
		}
	})
}

// Audits run by the platform reach neither its own host nor its neighbours unless
// an administrator allows the network, and a port that does not answer reads like
// one that answers something else.
func TestAuditAddressesAreGuarded(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app := testkit.NewApp(t, d, func(c *server.Config) { c.DirectoryNetworks = nil })
		dsi := app.Token(t, "dsi@demo.care.test")
		path := orgPath(t, app)
		for url, want := range map[string]string{
			"ldaps://127.0.0.1":          "boucle locale",
			"ldaps://[::1]":              "boucle locale",
			"ldaps://169.254.10.1":       "boucle locale",
			"ldaps://[fe80::1]":          "boucle locale",
			"ldaps://0.0.0.0":            "boucle locale",
			"ldaps://[::ffff:127.0.0.1]": "boucle locale",
			"ldaps://10.1.2.3":           "privée",
			"ldaps://192.168.1.10:636":   "privée",
			"ldaps://localhost":          "boucle locale", // a name is checked where it resolves
		} {
			cfg := map[string]any{"url": url, "bind_dn": "audit@care.test", "password": "x"}
			resp := app.API(t, dsi, "POST", path+"/directory/audits", cfg, nil)
			if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("%s: %d %s", url, resp.StatusCode, body)
			}
		}
		// The same schedule is refused when saved.
		src := map[string]any{"url": "ldaps://10.1.2.3", "bind_dn": "audit@care.test", "password": "x", "every_days": 7}
		if resp := app.API(t, dsi, "PUT", path+"/directory/source", src, nil); resp.StatusCode != 422 {
			t.Errorf("private source saved: %d", resp.StatusCode)
		}

		// Allowed networks: a closed port, a port that answers garbage and one that
		// answers an LDAP error all say the same, without the server's words.
		open := testkit.NewApp(t, testkit.SQLite(t))
		newTrap(t, "127.0.0.9:389", false)
		newTrap(t, "127.0.0.9:3268", true)
		dsi = open.Token(t, "dsi@demo.care.test")
		path = orgPath(t, open)
		var bodies []string
		for _, url := range []string{"ldap://127.0.0.9:389", "ldap://127.0.0.9:3268", "ldap://127.0.0.9:3269"} {
			cfg := map[string]any{"url": url, "bind_dn": "audit@care.test", "password": "x", "allow_plain": true}
			resp := open.API(t, dsi, "POST", path+"/directory/audits", cfg, nil)
			body := testkit.BodyOf(resp)
			if resp.StatusCode != 422 || strings.Contains(body, "secret-banner") {
				t.Errorf("%s: %d %s", url, resp.StatusCode, body)
			}
			bodies = append(bodies, body)
		}
		if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
			t.Errorf("the answers tell the ports apart:\n%s", strings.Join(bodies, "\n"))
		}
	})
}
