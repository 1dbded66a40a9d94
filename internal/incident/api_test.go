package incident_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/demo"
	"care/internal/incident"
	"care/internal/testkit"
)

// incidentJSON is an incident as the API answers it.
type incidentJSON = incident.JSON

type statsJSON struct {
	Total    int `json:"total"`
	ByRegion []struct {
		Key string `json:"key"`
		N   int    `json:"count"`
	} `json:"by_region"`
}

// declaration is a complete declaration of org, as the API takes it.
func declaration(org int64) map[string]any {
	return map[string]any{"org": org, "categories": []string{"health_data", "care_safety"}, "type": "ransomware", "origin": "malicious",
		"occurred_at": "2026-01-05T22:00:00Z", "detected_at": "2026-01-06T06:30:00Z", "perimeter": "Serveurs de fichiers",
		"summary": "Fichiers chiffrés, note de rançon", "degraded_mode": true, "patient_impact": false}
}

// demoIncidents returns the ids of the demo incidents: the CHU's (qualified)
// and the CH's (submitted).
func demoIncidents(t *testing.T, app *testkit.App) (chu, ch int64) {
	t.Helper()
	var list struct {
		Items []incidentJSON `json:"items"`
	}
	app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/api/v1/incidents", nil, &list)
	for _, i := range list.Items {
		switch {
		case i.Org == app.Org(t, "CHU de Port-Émeraude").ID && i.Status == "qualified":
			chu = i.ID
		case i.Org == app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID && i.Status == "submitted":
			ch = i.ID
		}
	}
	if chu == 0 || ch == 0 {
		t.Fatalf("demo incidents: %+v", list.Items)
	}
	return chu, ch
}

// otherARS creates the ARS referent of the second region and returns its
// e-mail.
func otherARS(t *testing.T, app *testkit.App) string {
	t.Helper()
	ctx := authz.WithSubject(t.Context(), app.Root(t))
	email := "ars2@demo.care.test"
	u, _, err := app.Server.Accounts.Create(ctx, account.NewUser{Email: email, Name: "Ars Deux", Role: authz.ReferentARS, OrgID: app.Org(t, "R02").ID})
	if err != nil {
		t.Fatal(err)
	}
	// As the demo's accounts: its password, and the second factor its role needs.
	if err := app.Server.Accounts.SetPassword(ctx, u.ID, demo.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.Write.ExecContext(ctx, "UPDATE users SET totp_secret = $1, totp_enabled = TRUE WHERE id = $2", demo.TOTPSecret, u.ID); err != nil {
		t.Fatal(err)
	}
	return email
}

func mailsTo(app *testkit.App, addr string) []string {
	var out []string
	for _, m := range app.Mail.Messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m.Data)
			}
		}
	}
	return out
}

// The declaration's life through the API: a draft by the RSSI, changed, then
// submitted (the region's ARS referent and CERT Santé told by e-mail), frozen
// (PUT 409), qualified by CERT Santé, followed from both sides, closed.
func TestDeclarationLifecycle(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		rssi, cert, ars := app.Token(t, "rssi@demo.care.test"), app.Token(t, "cert@demo.care.test"), app.Token(t, "ars@demo.care.test")

		var draft incidentJSON
		resp := app.API(t, rssi, "POST", "/api/v1/incidents", map[string]any{"org": chu, "summary": "Écran noir"}, &draft)
		if resp.StatusCode != 201 || draft.Status != "draft" || draft.Org != chu || draft.Declaration.Summary != "Écran noir" {
			t.Fatalf("create: %d %+v", resp.StatusCode, draft)
		}
		path := fmt.Sprintf("/api/v1/incidents/%d", draft.ID)
		if r := app.API(t, ars, "GET", path, nil, nil); r.StatusCode != 404 {
			t.Errorf("the ARS reads a draft: %d", r.StatusCode)
		}
		if r := app.API(t, cert, "GET", path, nil, nil); r.StatusCode != 404 {
			t.Errorf("CERT Santé reads a draft: %d", r.StatusCode)
		}
		var saved incidentJSON
		if r := app.API(t, rssi, "PUT", path, declaration(chu), &saved); r.StatusCode != 200 || saved.Type != "ransomware" ||
			strings.Join(saved.Categories, ",") != "care_safety,health_data" || saved.DetectedAt == nil || !saved.DetectedAt.Equal(time.Date(2026, 1, 6, 6, 30, 0, 0, time.UTC)) {
			t.Fatalf("update: %d %+v", r.StatusCode, saved)
		}
		if r := app.API(t, ars, "POST", path+"/submit", nil, nil); r.StatusCode != 404 {
			t.Errorf("the ARS submits a draft it does not see: %d", r.StatusCode)
		}
		var sub incidentJSON
		if r := app.API(t, rssi, "POST", path+"/submit", nil, &sub); r.StatusCode != 200 || sub.Status != "submitted" || sub.SubmittedBy == "" {
			t.Fatalf("submit: %d %+v", r.StatusCode, sub)
		}
		app.Mail.Wait(t, 2)
		for _, to := range []string{"ars@demo.care.test", "cert@demo.care.test"} {
			got := mailsTo(app, to)
			if len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("/incidents/%d", draft.ID)) {
				t.Errorf("mails to %s: %q", to, got)
			}
		}
		if got := mailsTo(app, "rssi.ght@demo.care.test"); len(got) != 0 {
			t.Errorf("the GHT RSSI was told: %q", got)
		}
		// Frozen: no change, whatever the body.
		changed := declaration(chu)
		changed["summary"] = "Autre chose"
		if r := app.API(t, rssi, "PUT", path, changed, nil); r.StatusCode != 409 {
			t.Errorf("PUT on a submitted declaration: %d", r.StatusCode)
		}
		if r := app.API(t, rssi, "POST", path+"/submit", nil, nil); r.StatusCode != 409 {
			t.Errorf("submitted twice: %d", r.StatusCode)
		}
		var read incidentJSON
		app.API(t, ars, "GET", path, nil, &read)
		if read.Declaration.Summary != "Fichiers chiffrés, note de rançon" || read.Status != "submitted" || len(read.Summary) == 0 {
			t.Errorf("as read by the ARS: %+v", read)
		}
		// Qualification: CERT Santé only.
		q := map[string]any{"severity": "high", "category": "care_safety"}
		if r := app.API(t, rssi, "POST", path+"/qualification", q, nil); r.StatusCode != 403 {
			t.Errorf("the RSSI qualifies: %d", r.StatusCode)
		}
		if r := app.API(t, cert, "POST", path+"/qualification", map[string]any{"severity": "huge", "category": "care_safety"}, nil); r.StatusCode != 422 {
			t.Errorf("unknown severity: %d", r.StatusCode)
		}
		var qual incidentJSON
		if r := app.API(t, cert, "POST", path+"/qualification", q, &qual); r.StatusCode != 200 || qual.Status != "qualified" || qual.Severity != "high" {
			t.Fatalf("qualify: %d %+v", r.StatusCode, qual)
		}
		// The shared timeline, from both sides; the ARS reads it.
		for _, tok := range []string{rssi, cert} {
			if r := app.API(t, tok, "POST", path+"/timeline", map[string]any{"text": "Point de situation"}, nil); r.StatusCode != 201 {
				t.Errorf("timeline entry: %d", r.StatusCode)
			}
		}
		if r := app.API(t, rssi, "POST", path+"/timeline", map[string]any{"text": "  "}, nil); r.StatusCode != 422 {
			t.Errorf("empty entry: %d", r.StatusCode)
		}
		app.API(t, ars, "GET", path, nil, &read)
		if len(read.Timeline) != 2 || read.Timeline[0].Side != "establishment" || read.Timeline[1].Side != "cert" {
			t.Errorf("timeline: %+v", read.Timeline)
		}
		if r := app.API(t, cert, "POST", path+"/close", nil, &read); r.StatusCode != 200 || read.Status != "closed" {
			t.Errorf("close: %d %+v", r.StatusCode, read)
		}
		if r := app.API(t, rssi, "POST", path+"/timeline", map[string]any{"text": "Encore"}, nil); r.StatusCode != 409 {
			t.Errorf("entry on a closed incident: %d", r.StatusCode)
		}
	})
}

// Bad input gets a clear, translated error and changes nothing: a submission
// without the mandatory fields, a date in the future, a detection before the
// occurrence, an unknown category, a node that is not an establishment.
func TestBadInputChangesNothing(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		rssi := app.Token(t, "rssi@demo.care.test")
		var draft incidentJSON
		app.API(t, rssi, "POST", "/api/v1/incidents", map[string]any{"org": chu, "summary": "Premier constat"}, &draft)
		path := fmt.Sprintf("/api/v1/incidents/%d", draft.ID)

		resp := app.API(t, rssi, "POST", path+"/submit", nil, nil)
		body := testkit.BodyOf(resp)
		if resp.StatusCode != 422 || !strings.Contains(body, "requis pour soumettre") || !strings.Contains(body, `"field":"categories"`) {
			t.Errorf("incomplete submission: %d %s", resp.StatusCode, body)
		}
		future := declaration(chu)
		future["detected_at"] = time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		resp = app.API(t, rssi, "PUT", path, future, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "dans le futur") {
			t.Errorf("future date: %d %s", resp.StatusCode, body)
		}
		before := declaration(chu)
		before["detected_at"] = "2026-01-05T21:00:00Z"
		resp = app.API(t, rssi, "PUT", path, before, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "ne peut pas précéder") {
			t.Errorf("detected before occurred: %d %s", resp.StatusCode, body)
		}
		unknown := declaration(chu)
		unknown["categories"] = []string{"ransom"}
		if r := app.API(t, rssi, "PUT", path, unknown, nil); r.StatusCode != 422 {
			t.Errorf("unknown category: %d", r.StatusCode)
		}
		if r := app.API(t, rssi, "PUT", path, map[string]any{"org": chu, "colour": "red"}, nil); r.StatusCode != 422 {
			t.Errorf("unknown field: %d", r.StatusCode)
		}
		var now incidentJSON
		app.API(t, rssi, "GET", path, nil, &now)
		if now.Status != "draft" || now.Declaration.Summary != "Premier constat" || now.Type != "" || now.DetectedAt != nil {
			t.Errorf("the draft changed: %+v", now)
		}
		ght := app.Org(t, "GHT-LE").ID
		if r := app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "POST", "/api/v1/incidents", map[string]any{"org": ght}, nil); r.StatusCode != 403 && r.StatusCode != 422 {
			t.Errorf("a GHT declares: %d", r.StatusCode)
		}
		var list struct {
			Total int `json:"total"`
		}
		app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/incidents?org=%d&status=draft", chu), nil, &list)
		if list.Total != 1 {
			t.Errorf("drafts: %d", list.Total)
		}
	})
}

// An ARS referent of another region can neither see nor guess a declaration:
// the same 404 as an id that does not exist, nothing in its list, nothing in
// its statistics, even in totals.
func TestOtherRegionSeesNothing(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu, ch := demoIncidents(t, app)
		other := app.Token(t, otherARS(t, app))
		ars := app.Token(t, "ars@demo.care.test")
		for _, id := range []int64{chu, ch, 999999} {
			resp := app.API(t, other, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil, nil)
			if resp.StatusCode != 404 {
				t.Errorf("incident %d: %d", id, resp.StatusCode)
			}
			if r := app.API(t, other, "POST", fmt.Sprintf("/api/v1/incidents/%d/timeline", id), map[string]any{"text": "x"}, nil); r.StatusCode != 404 {
				t.Errorf("timeline %d: %d", id, r.StatusCode)
			}
		}
		var list struct {
			Total int `json:"total"`
		}
		app.API(t, other, "GET", "/api/v1/incidents", nil, &list)
		if list.Total != 0 {
			t.Errorf("the other region lists %d incidents", list.Total)
		}
		var st statsJSON
		if r := app.API(t, other, "GET", "/api/v1/incidents/stats", nil, &st); r.StatusCode != 200 || st.Total != 0 || len(st.ByRegion) != 0 {
			t.Errorf("other region's statistics: %d %+v", r.StatusCode, st)
		}
		if r := app.API(t, other, "GET", fmt.Sprintf("/api/v1/incidents/stats?org=%d", app.Org(t, "R01").ID), nil, nil); r.StatusCode != 404 {
			t.Errorf("the other region reads R01's statistics: %d", r.StatusCode)
		}
		app.API(t, ars, "GET", "/api/v1/incidents/stats", nil, &st)
		if st.Total != 2 || len(st.ByRegion) != 1 || st.ByRegion[0].N != 2 {
			t.Errorf("R01's statistics: %+v", st)
		}
		app.API(t, app.Token(t, "cert@demo.care.test"), "GET", "/api/v1/incidents/stats?year=2025", nil, &st)
		if st.Total != 2 {
			t.Errorf("national statistics for 2025: %+v", st)
		}
		app.API(t, app.Token(t, "cert@demo.care.test"), "GET", "/api/v1/incidents/stats?year=2024", nil, &st)
		if st.Total != 0 {
			t.Errorf("national statistics for 2024: %+v", st)
		}
	})
}

// CERT Santé reads the declarations, not the establishments' pages; an
// establishment shares them for one incident, and the sharing ends when the
// incident is closed.
func TestCertSanteReachAndSharing(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu, _ := demoIncidents(t, app)
		chuOrg := app.Org(t, "CHU de Port-Émeraude").ID
		cert, rssi := app.Token(t, "cert@demo.care.test"), app.Token(t, "rssi@demo.care.test")
		orgPath := fmt.Sprintf("/api/v1/orgs/%d", chuOrg)
		coverage := fmt.Sprintf("/api/v1/orgs/%d/continuity/coverage", chuOrg)
		reads := func() (int, int) {
			return app.API(t, cert, "GET", orgPath, nil, nil).StatusCode, app.API(t, cert, "GET", coverage, nil, nil).StatusCode
		}
		if a, b := reads(); a != 404 || b != 404 {
			t.Errorf("before sharing, CERT Santé reads the CHU: %d %d", a, b)
		}
		var inc incidentJSON
		if r := app.API(t, cert, "GET", fmt.Sprintf("/api/v1/incidents/%d", chu), nil, &inc); r.StatusCode != 200 || inc.SubmittedBy == "" {
			t.Errorf("CERT Santé reads the incident: %d %+v", r.StatusCode, inc)
		}
		if r := app.API(t, cert, "POST", fmt.Sprintf("/api/v1/incidents/%d/share", chu), map[string]any{"shared": true}, nil); r.StatusCode != 403 {
			t.Errorf("CERT Santé shares for the establishment: %d", r.StatusCode)
		}
		if r := app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/incidents/%d/share", chu), map[string]any{"shared": true}, &inc); r.StatusCode != 200 || !inc.Shared {
			t.Fatalf("share: %d %+v", r.StatusCode, inc)
		}
		if a, b := reads(); a != 200 || b != 200 {
			t.Errorf("shared, CERT Santé does not read the CHU: %d %d", a, b)
		}
		if r := app.API(t, cert, "GET", fmt.Sprintf("/api/v1/orgs/%d", app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID), nil, nil); r.StatusCode != 404 {
			t.Errorf("the sharing reaches another establishment: %d", r.StatusCode)
		}
		if r := app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/incidents/%d/close", chu), nil, &inc); r.StatusCode != 200 || inc.Shared {
			t.Fatalf("close: %d %+v", r.StatusCode, inc)
		}
		if a, b := reads(); a != 404 || b != 404 {
			t.Errorf("closed, CERT Santé still reads the CHU: %d %d", a, b)
		}
	})
}

// Who sees what, page by page: the incident pages, the establishment's pages
// for CERT Santé, drafts.
func TestWhoSeesWhat(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	chu, ch := demoIncidents(t, app)
	chuOrg := app.Org(t, "CHU de Port-Émeraude").ID
	other := otherARS(t, app)
	draft := fmt.Sprintf("/api/v1/incidents/%d", mustDraft(t, app, chuOrg))
	testkit.Play(t, app, []testkit.Scenario{
		{Name: "list as ARS", As: "ars@demo.care.test", Path: "/incidents", Status: 200, Contains: []string{"CHU de Port-Émeraude", "Centre hospitalier de Saint-Aubin-des-Landes", "1 déclaration à qualifier"}},
		{Name: "list as CERT", As: "cert@demo.care.test", Path: "/incidents", Status: 200, Contains: []string{"CHU de Port-Émeraude", `src="/static/incidents.js"`}, Excludes: []string{"Déclarer un incident</a>"}},
		{Name: "qualified incident as CERT", As: "cert@demo.care.test", Path: fmt.Sprintf("/incidents/%d", chu), Status: 200, Contains: []string{"Qualification par CERT Santé", "Lou Rssi", "rssi@demo.care.test", "Résumé prêt à copier", "le formulaire du portail"}},
		{Name: "continuity as CERT", As: "cert@demo.care.test", Path: fmt.Sprintf("/continuite?org=%d", chuOrg), Status: 404},
		{Name: "organisation as CERT", As: "cert@demo.care.test", Path: fmt.Sprintf("/organisations/%d", chuOrg), Status: 404},
		{Name: "submitted incident as RSSI", As: "rssi@demo.care.test", Path: fmt.Sprintf("/incidents/%d", chu), Status: 200, Contains: []string{"Déclaration sur le portail national", "Partage avec CERT Santé"}, Excludes: []string{"Qualifier</button>"}},
		{Name: "other establishment as RSSI", As: "rssi@demo.care.test", Path: fmt.Sprintf("/incidents/%d", ch), Status: 404},
		{Name: "incident as other ARS", As: other, Path: fmt.Sprintf("/incidents/%d", ch), Status: 404},
		{Name: "stats as other ARS", As: other, Path: "/incidents/statistiques", Status: 200, Contains: []string{`<strong id="total">0</strong>`}},
		{Name: "stats as ARS", As: "ars@demo.care.test", Path: "/incidents/statistiques", Status: 200, Contains: []string{`<strong id="total">2</strong>`, "Rançongiciel"}},
		{Name: "stats of one establishment as ARS", As: "ars@demo.care.test", Path: fmt.Sprintf("/incidents/statistiques?org=%d", chuOrg), Status: 200,
			Contains: []string{`<strong id="total">1</strong>`, `class="chooser"`, "GHT Littoral", fmt.Sprintf("/incidents/statistiques?org=%d", chuOrg)}},
		{Name: "draft as ARS", As: "ars@demo.care.test", Path: draft, Status: 404},
		{Name: "draft as lecteur", As: "lecteur@demo.care.test", Path: draft, Status: 404},
		{Name: "draft as direction", As: "direction@demo.care.test", Path: draft, Status: 200},
		{Name: "declare as lecteur", As: "lecteur@demo.care.test", Method: "POST", Path: "/api/v1/incidents", Body: map[string]any{"org": app.Org(t, "EHPAD Les Glycines").ID}, Status: 403},
		{Name: "anonymous", Path: "/api/v1/incidents", Status: http.StatusUnauthorized},
	})
}

func mustDraft(t *testing.T, app *testkit.App, org int64) int64 {
	t.Helper()
	var draft incidentJSON
	if r := app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", "/api/v1/incidents", map[string]any{"org": org}, &draft); r.StatusCode != 201 {
		t.Fatalf("draft: %d", r.StatusCode)
	}
	return draft.ID
}
