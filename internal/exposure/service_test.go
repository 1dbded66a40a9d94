package exposure_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

type scanJSON struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Level  *int   `json:"level"`
	Error  string `json:"error"`
}

type findingsJSON struct {
	Items []struct {
		ID     int64  `json:"id"`
		Port   int    `json:"port"`
		Check  string `json:"check"`
		Status string `json:"status"`
	} `json:"items"`
}

// An establishment's inventory on loopback (lab mode), scanned through the API; a
// second scan after a service was closed marks its findings fixed.
func TestScansFollowFindings(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app := testkit.NewApp(t, d)
		admin, rssi := app.Token(t, "admin@demo.care.test"), app.Token(t, "rssi@demo.care.test")
		chu := app.Org(t, "CHU de Port-Émeraude")
		base := fmt.Sprintf("/api/v1/orgs/%d/exposure", chu.ID)

		// Two services on a loopback address: a telnet-like banner and a web server.
		telnet, err := net.Listen("tcp", "127.0.78.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := telnet.Accept()
				if err != nil {
					return
				}
				_, _ = c.Write([]byte("\xff\xfd\x18\xff\xfd\x20"))
				c.Close()
			}
		}()
		web, _ := net.Listen("tcp", "127.0.78.1:0")
		srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})}
		go srv.Serve(web)
		t.Cleanup(func() { srv.Close(); telnet.Close() })
		ports := fmt.Sprintf("%d,%d", telnet.Addr().(*net.TCPAddr).Port, web.Addr().(*net.TCPAddr).Port)

		// Bad input scans nothing: no attestation, a /8, a target outside the inventory.
		if resp := app.API(t, rssi, "POST", base+"/targets", map[string]any{"value": "127.0.78.1"}, nil); resp.StatusCode != 422 {
			t.Errorf("target without attestation: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", base+"/targets", map[string]any{"value": "10.0.0.0/8", "attested": true}, nil); resp.StatusCode != 422 {
			t.Errorf("a /8: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", base+"/scans", map[string]any{"ports": "top"}, nil); resp.StatusCode != 422 {
			t.Errorf("scan with an empty inventory: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, rssi, "POST", base+"/targets", map[string]any{"value": "127.0.78.1", "attested": true, "owner": "DSI"}, nil); resp.StatusCode != 201 {
			t.Fatalf("target: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		// Loopback is not public: refused unless an admin asks for lab mode.
		if resp := app.API(t, rssi, "POST", base+"/scans", map[string]any{"ports": ports}, nil); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "laboratoire") {
			t.Errorf("loopback without lab mode: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, rssi, "POST", base+"/scans", map[string]any{"ports": ports, "lab": true}, nil); resp.StatusCode != 422 {
			t.Errorf("lab mode asked by a non-admin: %d", resp.StatusCode)
		}
		if resp := app.API(t, admin, "POST", base+"/scans", map[string]any{"ports": "80-x", "lab": true}, nil); resp.StatusCode != 422 {
			t.Errorf("bad port list: %d", resp.StatusCode)
		}

		scan := func() scanJSON {
			var s scanJSON
			if resp := app.API(t, admin, "POST", base+"/scans", map[string]any{"ports": ports, "lab": true}, &s); resp.StatusCode != 202 {
				t.Fatalf("scan: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
			deadline := time.Now().Add(30 * time.Second)
			for s.Status == "queued" || s.Status == "running" {
				if time.Now().After(deadline) {
					t.Fatal("the scan did not finish")
				}
				time.Sleep(100 * time.Millisecond)
				app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/exposure/scans/%d", s.ID), nil, &s)
			}
			if s.Status != "done" {
				t.Fatalf("scan ended %s: %s", s.Status, s.Error)
			}
			return s
		}
		first := scan()
		if first.Level == nil || *first.Level != 3 {
			t.Errorf("an exposed telnet service (a high finding in rules.yaml) gives level 3, got %v", deref(first.Level))
		}
		var f findingsJSON
		app.API(t, rssi, "GET", base+"/findings", nil, &f)
		telnetPort := telnet.Addr().(*net.TCPAddr).Port
		var telnetFinding int64
		for _, it := range f.Items {
			if it.Port == telnetPort && it.Status == "open" {
				telnetFinding = it.ID
			}
		}
		if telnetFinding == 0 || len(f.Items) < 3 {
			t.Fatalf("findings after the first scan: %+v", f.Items)
		}
		// The remediation workflow: an accepted risk needs a justification and an expiry.
		if resp := app.API(t, rssi, "PATCH", fmt.Sprintf("/api/v1/exposure/findings/%d", telnetFinding), map[string]any{"status": "accepted"}, nil); resp.StatusCode != 422 {
			t.Errorf("accepted without justification: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "PATCH", fmt.Sprintf("/api/v1/exposure/findings/%d", telnetFinding), map[string]any{"status": "in_progress"}, nil); resp.StatusCode != 204 {
			t.Errorf("in progress: %d", resp.StatusCode)
		}
		// A neighbour sees none of it.
		if resp := app.API(t, app.Token(t, "dsi@demo.care.test"), "GET", base+"/findings", nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour reads the findings: %d", resp.StatusCode)
		}

		// The telnet service goes away; the second scan marks its finding fixed.
		telnet.Close()
		second := scan()
		app.API(t, rssi, "GET", base+"/findings", nil, &f)
		for _, it := range f.Items {
			if it.Port == telnetPort && it.Status != "fixed" {
				t.Errorf("the closed telnet's finding %s is %s, want fixed", it.Check, it.Status)
			}
			if it.Port != telnetPort && it.Status == "fixed" {
				t.Errorf("the web server's finding %s was marked fixed", it.Check)
			}
		}
		if second.Level == nil || *second.Level <= 3 {
			t.Errorf("level after the fix: %v, want better than 3", deref(second.Level))
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
