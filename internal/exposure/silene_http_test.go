package exposure_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"care/internal/exposure"
	"care/internal/testkit"
)

// An establishment records its SILENE results with their reports; the page shows
// the programme's Domaine 1 indicator beside the platform's internal one, and the
// ARS reads both.
func TestSileneResultsBesideTheInternalIndicator(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		// The CH, whose DSI records; the demo gives the CHU results of its own.
		chu := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID
		rssi := app.Login(t, "dsi@demo.care.test")
		post := fmt.Sprintf("/exposition/noeud/%d/silene", chu)
		report := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")

		resp := app.PostFile(t, rssi, post, url.Values{"audited_on": {"2999-01-01"}, "level": {"9"}}, "", nil)
		body := testkit.BodyOf(resp)
		for _, want := range []string{"Indiquez la date de l", "Le niveau SILENE va de 1 à 5", "Joignez le rapport SILENE"} {
			if resp.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("bad SILENE form: %d, %q missing", resp.StatusCode, want)
			}
		}
		if resp := app.PostFile(t, rssi, post, url.Values{"audited_on": {"2026-01-13"}, "level": {"3"}}, "silene.exe", []byte("MZ")); resp.StatusCode != 422 {
			t.Errorf("an .exe report was accepted: %d", resp.StatusCode)
		}
		ars := app.Login(t, "ars@demo.care.test")
		if resp := app.PostFile(t, ars, post, url.Values{"audited_on": {"2026-01-13"}, "level": {"3"}}, "silene.pdf", report); resp.StatusCode != 403 {
			t.Errorf("the ARS referent recorded a result: %d", resp.StatusCode)
		}
		ov, err := app.Server.Exposure.Overview(testkit.As(t, app, "dsi@demo.care.test"), chu, exposure.FindingFilter{})
		if err != nil || len(ov.Silene) != 0 {
			t.Fatalf("refused forms stored %d results (%v)", len(ov.Silene), err)
		}

		for _, r := range []struct{ on, level string }{{"2026-01-13", "3"}, {"2026-03-01", "4"}} {
			if resp := app.PostFile(t, rssi, post, url.Values{"audited_on": {r.on}, "level": {r.level}}, "rapport-silene.pdf", report); resp.StatusCode != 303 {
				t.Fatalf("record %s: %d %s", r.on, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		page := testkit.BodyOf(app.Get(t, rssi, fmt.Sprintf("/exposition?org=%d", chu)))
		for _, want := range []string{"Indicateur Domaine 1 (audits SILENE de l&#39;ANSSI)", "Audits du 13/01/2026 (niveau 3) et du 01/03/2026 (niveau 4).",
			"n&#39;est pas public", "Indicateur interne inspiré du Domaine 1", "rapport-silene.pdf"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}

		var ev struct {
			Internal bool `json:"internal"`
			Silene   struct {
				Met   *bool `json:"met"`
				First struct {
					AuditedOn string `json:"audited_on"`
					Level     int    `json:"level"`
				} `json:"first"`
			} `json:"silene"`
		}
		evidence := fmt.Sprintf("/api/v1/orgs/%d/exposure/evidence", chu)
		app.API(t, app.Token(t, "ars@demo.care.test"), "GET", evidence, nil, &ev)
		if !ev.Internal || ev.Silene.Met != nil || ev.Silene.First.AuditedOn != "2026-01-13" || ev.Silene.First.Level != 3 {
			t.Errorf("evidence without a threshold: %+v", ev)
		}
		app.Server.Exposure.SileneMinimum = 4
		resp = app.API(t, app.Token(t, "ars@demo.care.test"), "GET", evidence, nil, nil)
		if err := json.Unmarshal([]byte(testkit.BodyOf(resp)), &ev); err != nil || ev.Silene.Met == nil || *ev.Silene.Met {
			t.Errorf("level 3 then 4 kept a minimum of 4: %+v", ev)
		}
		app.Server.Exposure.SileneMinimum = 3
		app.API(t, app.Token(t, "ars@demo.care.test"), "GET", evidence, nil, &ev)
		if ev.Silene.Met == nil || !*ev.Silene.Met {
			t.Errorf("level 3 then 4 did not keep a minimum of 3: %+v", ev)
		}

		if ov, err = app.Server.Exposure.Overview(testkit.As(t, app, "dsi@demo.care.test"), chu, exposure.FindingFilter{}); err != nil || len(ov.Silene) != 2 {
			t.Fatalf("results: %d %v", len(ov.Silene), err)
		}
		download := fmt.Sprintf("/exposition/noeud/%d/silene/%d", chu, ov.Silene[0].ID)
		resp = app.Get(t, ars, download)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || testkit.BodyOf(resp) != string(report) {
			t.Errorf("the ARS downloads the report: %d %v", resp.StatusCode, resp.Header)
		}
		if resp := app.Get(t, app.Login(t, "rssi@demo.care.test"), download); resp.StatusCode != 404 {
			t.Errorf("the neighbour downloads the report: %d", resp.StatusCode)
		}
		other := app.Org(t, "CHU de Port-Émeraude").ID
		if resp := app.Get(t, rssi, fmt.Sprintf("/exposition/noeud/%d/silene/%d", other, ov.Silene[0].ID)); resp.StatusCode != 404 {
			t.Errorf("a report read through another establishment: %d", resp.StatusCode)
		}
	})
}
