package funding_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/demo"
	"care/internal/funding"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/web"
	"care/internal/testkit"
)

// withOpenCalls imports a programme version 2: the shipped content plus a D2
// call whose candidature is open today (instruction until 30 days from now),
// and a D1 call open today to private clinics only.
func withOpenCalls(t *testing.T, app *testkit.App) {
	t.Helper()
	today := time.Now().UTC()
	d := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	src := "https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4"
	testkit.FundingCalls(t, app, fmt.Sprintf(`
  - id: d2-test
    domain: d2
    title: "Appel de test du Domaine 2"
    source: "%[1]s"
    categories: [ght, public_hors_ght, prive_non_lucratif, prive_lucratif]
    amounts:
      envelope: {eur: 1000, source: "%[1]s"}
      ceiling: {eur: 100, source: "%[1]s"}
    phases:
      - {phase: candidature, from: "%[2]s", to: "%[3]s", source: "%[1]s"}
      - {phase: instruction, from: "%[2]s", to: "%[4]s", source: "%[1]s"}

  - id: d1-test
    domain: d1
    title: "Appel de test du Domaine 1"
    source: "%[1]s"
    categories: [prive_lucratif]
    amounts:
      envelope: {eur: 1000, source: "%[1]s"}
      ceiling: {eur: 100, source: "%[1]s"}
    phases:
      - {phase: candidature, from: "%[2]s", to: "%[3]s", source: "%[1]s"}
`, src, d(-10), d(10), d(30)))
}

// ars2 creates an ARS referent of the other demo region and returns their token.
func ars2(t *testing.T, app *testkit.App) string {
	t.Helper()
	ctx := authz.WithSubject(t.Context(), app.Root(t))
	r2 := app.Org(t, "Région Monts-et-Volcans (fictive)")
	u, _, err := app.Server.Accounts.Create(ctx, account.NewUser{Email: "ars2@demo.care.test", Name: "Référent Deux", Role: authz.ReferentARS, OrgID: r2.ID})
	if err != nil {
		t.Fatal(err)
	}
	// The role requires a second factor before any token.
	if _, err := app.DB.Write.ExecContext(ctx, "UPDATE users SET totp_secret = $1, totp_enabled = TRUE WHERE id = $2", demo.TOTPSecret, u.ID); err != nil {
		t.Fatal(err)
	}
	return app.Token(t, "ars2@demo.care.test")
}

type candidatureJSON struct {
	ID       int64  `json:"id"`
	Org      int64  `json:"org"`
	Call     string `json:"call"`
	Domain   string `json:"domain"`
	Category string `json:"category"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Members  []struct {
		Org  int64  `json:"org"`
		Name string `json:"name"`
	} `json:"members"`
}

// problemJSON is a problem document as the API answers it.
type problemJSON = web.ProblemDoc

// state reads a candidature's status and reason and the number of candidatures
// and of their audit entries, straight from the database.
func state(t *testing.T, d *db.DB, id int64) string {
	t.Helper()
	var status, reason string
	var n, trail int
	if id != 0 {
		if err := d.Read.QueryRowContext(t.Context(), "SELECT status, reason FROM funding_candidatures WHERE id = $1", id).Scan(&status, &reason); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Read.QueryRowContext(t.Context(), "SELECT (SELECT COUNT(*) FROM funding_candidatures), (SELECT COUNT(*) FROM audit_log WHERE object_type = 'funding_candidature')").Scan(&n, &trail); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s|%s|%d candidatures|%d entries", status, reason, n, trail)
}

// refusedUnchanged runs a request that must be refused with status and checks
// that nothing changed.
func refusedUnchanged(t *testing.T, app *testkit.App, id int64, status int, what string, do func() *http.Response) problemJSON {
	t.Helper()
	return refusedSame(t, func() string { return state(t, app.DB, id) }, status, what, do)
}

// refusedSame runs a request that must be refused with status and checks that
// the snapshot taken before and after is the same.
func refusedSame(t *testing.T, snapshot func() string, status int, what string, do func() *http.Response) problemJSON {
	t.Helper()
	before := snapshot()
	resp := do()
	if resp.StatusCode != status {
		t.Errorf("%s: %d, want %d: %s", what, resp.StatusCode, status, testkit.BodyOf(resp))
	}
	if after := snapshot(); after != before {
		t.Errorf("%s changed %s into %s", what, before, after)
	}
	var p problemJSON
	_ = jsonInto(testkit.BodyOf(resp), &p)
	return p
}

// The workflow end to end across roles, on both engines: the RSSI submits (the
// call left out, the only open one of the domain), the region's ARS referents
// are told, the ARS rejects only with a reason and accepts, the submitter is
// told; late, duplicate, out-of-order and wrong-role steps are refused and
// change nothing; an ARS of another region sees nothing.
func TestCandidatureWorkflow(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		withOpenCalls(t, app)
		rssi, ars, other := app.Token(t, "rssi@demo.care.test"), app.Token(t, "ars@demo.care.test"), ars2(t, app)
		chu, ch := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")

		// Wrong role: the ARS referent sees the CHU but does not run its programme.
		refusedUnchanged(t, app, 0, 403, "a submission by the ARS", func() *http.Response {
			return app.API(t, ars, "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2"}, nil)
		})
		// Late: the demo's D2 call closed its candidatures in January 2026.
		p := refusedUnchanged(t, app, 0, 409, "a late candidature", func() *http.Response {
			return app.API(t, app.Token(t, "dsi@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": ch.ID, "domain": "d2", "call": "d2-2025"}, nil)
		})
		if !strings.Contains(p.Detail, "close") {
			t.Errorf("the late candidature's message: %q", p.Detail)
		}
		// A call that does not take the CHU's category.
		refusedUnchanged(t, app, 0, 422, "a category the call refuses", func() *http.Response {
			return app.API(t, rssi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d1", "call": "d1-test"}, nil)
		})

		var c candidatureJSON
		if resp := app.API(t, rssi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2"}, &c); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if c.Call != "d2-test" || c.Domain != "d2" || c.Category != "ght" || c.Status != funding.Submitted || c.Org != chu.ID || c.Members == nil {
			t.Errorf("submitted: %+v", c)
		}
		m := app.Mail.Wait(t, 1)
		if strings.Join(m.To, ",") != "ars@demo.care.test" || !strings.Contains(m.Data, "CHU de Port-Émeraude") || !strings.Contains(m.Data, fmt.Sprintf("/financement/candidatures/%d", c.ID)) {
			t.Errorf("the ARS referent's mail: to %v: %s", m.To, m.Data)
		}
		refusedUnchanged(t, app, c.ID, 409, "a second candidature to the call", func() *http.Response {
			return app.API(t, app.Token(t, "direction@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2", "call": "d2-test"}, nil)
		})

		decision := fmt.Sprintf("/api/v1/funding/candidatures/%d/decision", c.ID)
		// The ARS of another region: the candidature does not exist for them.
		refusedUnchanged(t, app, c.ID, 404, "a decision by the other region's ARS", func() *http.Response {
			return app.API(t, other, "POST", decision, map[string]any{"decision": "accept"}, nil)
		})
		if resp := app.API(t, other, "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", c.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("the other region's ARS reads it: %d", resp.StatusCode)
		}
		var list struct {
			Items []candidatureJSON `json:"items"`
			Total int               `json:"total"`
		}
		app.API(t, other, "GET", "/api/v1/funding/candidatures", nil, &list)
		if list.Total != 0 {
			t.Errorf("the other region's ARS lists %+v", list.Items)
		}
		// The RSSI does not instruct.
		refusedUnchanged(t, app, c.ID, 403, "a decision by the RSSI", func() *http.Response {
			return app.API(t, rssi, "POST", decision, map[string]any{"decision": "accept"}, nil)
		})
		// A rejection needs a reason.
		p = refusedUnchanged(t, app, c.ID, 422, "a rejection without a reason", func() *http.Response {
			return app.API(t, ars, "POST", decision, map[string]any{"decision": "reject", "reason": "  "}, nil)
		})
		if len(p.Errors) != 1 || p.Errors[0].Field != "reason" {
			t.Errorf("the rejection without reason: %+v", p)
		}
		refusedUnchanged(t, app, c.ID, 422, "an unknown decision", func() *http.Response {
			return app.API(t, ars, "POST", decision, map[string]any{"decision": "maybe"}, nil)
		})

		var decided candidatureJSON
		if resp := app.API(t, ars, "POST", decision, map[string]any{"decision": "accept", "reason": "Dossier complet."}, &decided); resp.StatusCode != 200 {
			t.Fatalf("accept: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if decided.Status != funding.Accepted || decided.Reason != "Dossier complet." {
			t.Errorf("accepted: %+v", decided)
		}
		m = app.Mail.Wait(t, 2)
		if strings.Join(m.To, ",") != "rssi@demo.care.test" || !strings.Contains(m.Data, "Dossier complet.") || !strings.Contains(m.Data, "Acceptée") {
			t.Errorf("the submitter's mail: to %v: %s", m.To, m.Data)
		}
		// Out of order: deciding twice.
		refusedUnchanged(t, app, c.ID, 409, "a second decision", func() *http.Response {
			return app.API(t, ars, "POST", decision, map[string]any{"decision": "reject", "reason": "Finalement non."}, nil)
		})

		// Every step in the audit trail, in order.
		actions, err := db.List(t.Context(), app.DB.Read, "trail", func(row db.Row) (string, error) {
			var a, actor string
			err := row.Scan(&a, &actor)
			return a + " by " + actor, err
		}, "SELECT action, actor FROM audit_log WHERE object_type = 'funding_candidature' AND object_id = $1 ORDER BY id", fmt.Sprint(c.ID))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, "; ") != "funding.candidature_submit by rssi@demo.care.test; funding.candidature_accept by ars@demo.care.test" {
			t.Errorf("trail: %v", actions)
		}

		// The CH withdraws its candidature: a decision on it is out of order.
		var w candidatureJSON
		dsi := app.Token(t, "dsi@demo.care.test")
		if resp := app.API(t, dsi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": ch.ID, "domain": "d2", "call": "d2-test"}, &w); resp.StatusCode != 201 {
			t.Fatalf("CH submits: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, dsi, "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/withdraw", w.ID), nil, &w); resp.StatusCode != 200 || w.Status != funding.Withdrawn {
			t.Fatalf("withdraw: %d %+v", resp.StatusCode, w)
		}
		refusedUnchanged(t, app, w.ID, 409, "a decision on a withdrawn candidature", func() *http.Response {
			return app.API(t, ars, "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/decision", w.ID), map[string]any{"decision": "accept"}, nil)
		})

		// The GHT candidates for its health establishments without a live
		// candidature of their own: the CH (withdrawn) and a new local hospital,
		// not the CHU nor the EHPAD.
		var g candidatureJSON
		ght := app.Org(t, "GHT Littoral Émeraude")
		local, err := app.Server.Orgs.Create(authz.WithSubject(t.Context(), app.Root(t)), org.Org{ParentID: ght.ID, Level: org.LegalEntity, Name: "Hôpital local des Grèves",
			FINESS: org.CompleteFINESS("35000901"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		if resp := app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": ght.ID, "domain": "d2"}, &g); resp.StatusCode != 201 {
			t.Fatalf("GHT submits: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if g.Category != "ght" || len(g.Members) != 2 || g.Members[0].Org != ch.ID || g.Members[1].Org != local.ID {
			t.Errorf("the GHT's candidature: %+v", g)
		}
		// The local hospital is carried by its GHT's candidature: not on its own.
		p = refusedUnchanged(t, app, g.ID, 409, "a member carried by its GHT", func() *http.Response {
			return app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": local.ID, "domain": "d2"}, nil)
		})
		if !strings.Contains(p.Detail, "GHT") {
			t.Errorf("the carried member's message: %q", p.Detail)
		}
		// A medico-social structure does not candidate.
		refusedUnchanged(t, app, 0, 422, "an EHPAD's candidature", func() *http.Response {
			return app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": app.Org(t, "EHPAD Les Glycines").ID, "domain": "d2"}, nil)
		})
		app.API(t, ars, "GET", "/api/v1/funding/candidatures", nil, &list)
		if list.Total != 5 { // the demo's two, the CHU's, the CH's withdrawn one, the GHT's
			t.Errorf("the ARS lists %d candidatures", list.Total)
		}
	})
}

// A decision after the call's instruction has ended is refused: the D1 call's
// ARS instruction ended on 21 May 2024.
func TestDecisionAfterInstruction(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	past := &funding.Service{DB: app.DB, Now: func() time.Time { return time.Date(2024, time.April, 2, 10, 0, 0, 0, time.UTC) }}
	ctx := authz.WithSubject(context.Background(), app.Root(t))
	clinic := app.Org(t, "Clinique des Quatre-Vents")
	c, err := past.Submit(ctx, funding.Submission{Org: clinic.ID, Domain: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Call != "d1-2024" || c.Category != "prive_lucratif" {
		t.Errorf("the clinic's candidature: %+v", c)
	}
	p := refusedUnchanged(t, app, c.ID, 409, "a decision after the instruction", func() *http.Response {
		return app.API(t, app.Token(t, "ars@demo.care.test"), "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/decision", c.ID), map[string]any{"decision": "accept"}, nil)
	})
	if !strings.Contains(p.Detail, "close") {
		t.Errorf("message: %q", p.Detail)
	}
}

func jsonInto(s string, v any) error { return json.Unmarshal([]byte(s), v) }
