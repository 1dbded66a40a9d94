package exposure_test

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"care/internal/exposure"
	"care/internal/platform/db"
	"care/internal/testkit"
	"care/internal/testkit/tcp"
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
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		admin, dsi := app.Token(t, "admin@demo.care.test"), app.Token(t, "dsi@demo.care.test")
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes") // no declared edge in the demo
		base := fmt.Sprintf("/api/v1/orgs/%d/exposure", ch.ID)

		// Two services on a loopback address: a telnet-like banner and a web server.
		telnet := tcp.Listen(t, "127.0.78.1:0", tcp.Greeting([]byte("\xff\xfd\x18\xff\xfd\x20")))
		web, _ := net.Listen("tcp", "127.0.78.1:0")
		srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})}
		go srv.Serve(web)
		t.Cleanup(func() { srv.Close() })
		ports := fmt.Sprintf("%d,%d", tcp.Port(telnet), tcp.Port(web))

		// Bad input scans nothing: no attestation, a /8, a target outside the inventory.
		if resp := app.API(t, dsi, "POST", base+"/targets", map[string]any{"value": "127.0.78.1"}, nil); resp.StatusCode != 422 {
			t.Errorf("target without attestation: %d", resp.StatusCode)
		}
		if resp := app.API(t, dsi, "POST", base+"/targets", map[string]any{"value": "10.0.0.0/8", "attested": true}, nil); resp.StatusCode != 422 {
			t.Errorf("a /8: %d", resp.StatusCode)
		}
		if resp := app.API(t, dsi, "POST", base+"/scans", map[string]any{"ports": "top"}, nil); resp.StatusCode != 422 {
			t.Errorf("scan with an empty inventory: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, dsi, "POST", base+"/targets", map[string]any{"value": "127.0.78.1", "attested": true, "owner": "DSI"}, nil); resp.StatusCode != 201 {
			t.Fatalf("target: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		// Loopback is not public: refused unless an admin asks for lab mode.
		if resp := app.API(t, dsi, "POST", base+"/scans", map[string]any{"ports": ports}, nil); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "laboratoire") {
			t.Errorf("loopback without lab mode: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, dsi, "POST", base+"/scans", map[string]any{"ports": ports, "lab": true}, nil); resp.StatusCode != 422 {
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
				app.API(t, dsi, "GET", fmt.Sprintf("/api/v1/exposure/scans/%d", s.ID), nil, &s)
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
		app.API(t, dsi, "GET", base+"/findings", nil, &f)
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
		if resp := app.API(t, dsi, "PATCH", fmt.Sprintf("/api/v1/exposure/findings/%d", telnetFinding), map[string]any{"status": "accepted"}, nil); resp.StatusCode != 422 {
			t.Errorf("accepted without justification: %d", resp.StatusCode)
		}
		if resp := app.API(t, dsi, "PATCH", fmt.Sprintf("/api/v1/exposure/findings/%d", telnetFinding), map[string]any{"status": "in_progress"}, nil); resp.StatusCode != 204 {
			t.Errorf("in progress: %d", resp.StatusCode)
		}
		// A neighbour sees none of it.
		if resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "GET", base+"/findings", nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour reads the findings: %d", resp.StatusCode)
		}

		// The telnet service goes away; the second scan marks its finding fixed.
		telnet.Close()
		second := scan()
		app.API(t, dsi, "GET", base+"/findings", nil, &f)
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

// A scan runs on one instance and is stopped from another (a second service on the
// same database, as a second process would be); a scan whose instance died stops
// blocking the establishment once its heartbeat is old.
func TestScanCancelledFromAnotherInstance(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		runner := app.Server.Exposure
		runner.Options.PerSecond = 200 // 2,000 ports take 10 s: time to stop it
		runner.Heartbeat = 50 * time.Millisecond
		admin := app.Token(t, "admin@demo.care.test")
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes") // no declared edge in the demo
		base := fmt.Sprintf("/api/v1/orgs/%d/exposure", ch.ID)
		if resp := app.API(t, admin, "POST", base+"/targets", map[string]any{"value": "127.0.78.2", "attested": true}, nil); resp.StatusCode != 201 {
			t.Fatalf("target: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var s scanJSON
		if resp := app.API(t, admin, "POST", base+"/scans", map[string]any{"ports": "1-2000", "lab": true}, &s); resp.StatusCode != 202 {
			t.Fatalf("scan: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, admin, "POST", base+"/scans", map[string]any{"ports": "22", "lab": true}, nil); resp.StatusCode != 409 {
			t.Errorf("a second scan while one runs: %d", resp.StatusCode)
		}

		other := &exposure.Service{DB: d}
		if err := other.Cancel(testkit.As(t, app, "rssi@demo.care.test"), s.ID); err == nil {
			t.Error("a neighbour stopped the scan")
		}
		if err := other.Cancel(testkit.As(t, app, "dsi@demo.care.test"), s.ID); err != nil {
			t.Fatalf("cancel from the other instance: %v", err)
		}
		var got struct {
			scanJSON
			Done, Total int
		}
		deadline := time.Now().Add(5 * time.Second)
		for got.Status != "cancelled" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			app.API(t, admin, "GET", fmt.Sprintf("/api/v1/exposure/scans/%d", s.ID), nil, &got)
		}
		if got.Status != "cancelled" || got.Done >= got.Total {
			t.Fatalf("after the cancel request: %s, %d of %d done", got.Status, got.Done, got.Total)
		}
		if err := other.Cancel(testkit.As(t, app, "dsi@demo.care.test"), s.ID); err == nil {
			t.Error("cancelling a finished scan succeeded")
		}

		// An instance died in the middle of a scan two minutes ago.
		old := time.Now().UTC().Add(-2 * time.Minute)
		if _, err := d.Write.ExecContext(t.Context(), `INSERT INTO exposure_scans (org_id, status, ports, created_at, started_at, heartbeat_at) VALUES ($1, 'running', '22', $2, $2, $2)`, ch.ID, old); err != nil {
			t.Fatal(err)
		}
		var next scanJSON
		if resp := app.API(t, admin, "POST", base+"/scans", map[string]any{"ports": "22", "lab": true}, &next); resp.StatusCode != 202 {
			t.Fatalf("scan after a dead instance: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var failed int
		if err := d.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM exposure_scans WHERE org_id = $1 AND status = 'failed' AND error <> ''", ch.ID).Scan(&failed); err != nil || failed != 1 {
			t.Errorf("the dead instance's scan: %d failed (%v)", failed, err)
		}
		runner.Wait()
	})
}

// A finished scan becomes its node's latest in the transaction that finishes it,
// unless a scan that finished later exists: one latest row per node.
func TestLatestScanIsTheLastFinished(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
		admin := testkit.As(t, app, "admin@demo.care.test")
		addrs := []netip.Addr{netip.MustParseAddr("192.0.2.10")}
		now := time.Now()
		later, err := app.Server.Exposure.RecordPast(admin, ch.ID, "top", addrs, nil, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.Server.Exposure.RecordPast(admin, ch.ID, "top", addrs, nil, now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		ids, err := db.List(t.Context(), d.Read, "latest scans", func(row db.Row) (id int64, err error) { return id, row.Scan(&id) },
			"SELECT id FROM exposure_scans WHERE org_id = $1 AND latest", ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] != later.ID {
			t.Fatalf("latest scans %v, want only %d (finished last)", ids, later.ID)
		}
	})
}
