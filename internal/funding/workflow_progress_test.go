package funding_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"care/internal/authz"
	"care/internal/funding"
	"care/internal/platform/db"
	"care/internal/testkit"
)

// clock is the funding service's clock, moved by the test.
type clock struct{ at atomic.Int64 }

func (c *clock) set(s string) {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	c.at.Store(t.UnixNano())
}

func (c *clock) now() time.Time { return time.Unix(0, c.at.Load()).UTC() }

// withPayCall imports the programme with the call d2-pay (testkit.DatedCall:
// every phase in 2030, a public ceiling of 100 000 €) and puts the funding
// service on a clock the test moves.
func withPayCall(t *testing.T, app *testkit.App) *clock {
	t.Helper()
	testkit.FundingCalls(t, app, testkit.DatedCall("d2-pay"))
	c := &clock{}
	c.set("2030-01-10 09:00")
	app.Server.Funding.Now = c.now
	return c
}

// progress reads what the workflow wrote on candidature id, straight from the
// database: status, amounts, the objective states, the evidence count and the
// audit entries.
func progress(t *testing.T, d *db.DB, id int64) string {
	t.Helper()
	var status, payment string
	var requested, granted, paid *int64
	var evidence, trail int
	if err := d.Read.QueryRowContext(t.Context(), `SELECT status, amount_requested, amount_granted, payment_status, amount_paid,
(SELECT COUNT(*) FROM funding_evidence WHERE candidature_id = $1), (SELECT COUNT(*) FROM audit_log WHERE object_type = 'funding_candidature')
FROM funding_candidatures WHERE id = $1`, id).Scan(&status, &requested, &granted, &payment, &paid, &evidence, &trail); err != nil {
		t.Fatal(err)
	}
	states, err := db.List(t.Context(), d.Read, "states", func(row db.Row) (string, error) {
		var o, s string
		return o + "=" + s, row.Scan(&o, &s)
	}, "SELECT objective, status FROM funding_objective_states WHERE candidature_id = $1 ORDER BY objective", id)
	if err != nil {
		t.Fatal(err)
	}
	n := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%v|%d evidence|%d entries", status, n(requested), n(granted), payment, n(paid), states, evidence, trail)
}

// unchanged runs a request that must be refused with status and checks that
// nothing of the candidature changed; it returns the problem.
func unchanged(t *testing.T, app *testkit.App, id int64, status int, what string, do func() *http.Response) problemJSON {
	t.Helper()
	return refusedSame(t, func() string { return progress(t, app.DB, id) }, status, what, do)
}

// postFile sends a multipart API call with a bearer token.
func postFile(t *testing.T, app *testkit.App, token, path string, fields map[string]string, name string, content []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, app.URL+path, &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return app.Do(t, http.DefaultClient, req)
}

type sheetJSON struct {
	candidatureJSON
	AmountRequested *int64  `json:"amount_requested"`
	AmountGranted   *int64  `json:"amount_granted"`
	AmountPaid      *int64  `json:"amount_paid"`
	PaymentStatus   string  `json:"payment_status"`
	PaidOn          *string `json:"paid_on"`
	Objectives      []struct {
		Code     string `json:"code"`
		Key      string `json:"key"`
		Evidence []struct {
			ID      int64     `json:"id"`
			Kind    string    `json:"kind"`
			Title   string    `json:"title"`
			URL     string    `json:"url"`
			AddedAt time.Time `json:"added_at"`
			AddedBy string    `json:"added_by"`
		} `json:"evidence"`
		Indicators []struct {
			Name string `json:"name"`
			Link string `json:"link"`
		} `json:"indicators"`
		Verification *struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"verification"`
	} `json:"objectives"`
}

// The workflow from acceptance to payment across roles, on both engines: the
// RSSI deposits a file, a link and a record; the direction signs the
// declaration; the ARS verifies each objective (asking for more on one, which
// the establishment completes and declares again); the national pilot
// controls and records the payment. Each step is in the audit trail and tells
// the next actor by e-mail; wrong roles, steps out of order or out of their
// window, bad amounts and evidence on another domain's objective are refused
// and change nothing; the ARS of another region sees nothing.
func TestPaymentWorkflow(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		clk := withPayCall(t, app)
		rssi, direction, ars, pilot, other := app.Token(t, "rssi@demo.care.test"), app.Token(t, "direction@demo.care.test"),
			app.Token(t, "ars@demo.care.test"), app.Token(t, "pilote@demo.care.test"), ars2(t, app)
		chu := app.Org(t, "CHU de Port-Émeraude")
		var c candidatureJSON
		if resp := app.API(t, rssi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2", "call": "d2-pay"}, &c); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		base := fmt.Sprintf("/api/v1/funding/candidatures/%d", c.ID)
		evidence := func(token string, body map[string]any) *http.Response {
			return app.API(t, token, "POST", base+"/evidence", body, nil)
		}
		link := map[string]any{"objective": "O1.A", "kind": "link", "title": "Compte rendu du COMEX", "url": "https://intranet.chu.example/comex"}

		// Before the ARS accepts, no evidence.
		unchanged(t, app, c.ID, 409, "evidence on a submitted candidature", func() *http.Response { return evidence(rssi, link) })
		clk.set("2030-01-20 10:00")
		if resp := app.API(t, ars, "POST", base+"/decision", map[string]any{"decision": "accept"}, nil); resp.StatusCode != 200 {
			t.Fatalf("accept: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		app.Mail.Wait(t, 2) // the ARS told of the submission, the RSSI of the decision
		mails := 2

		// Before the operational phase (1 March 2030), no evidence.
		clk.set("2030-02-10 10:00")
		p := unchanged(t, app, c.ID, 409, "evidence before the operational phase", func() *http.Response { return evidence(rssi, link) })
		if !strings.Contains(p.Detail, "opérationnelle") && !strings.Contains(p.Detail, "operational") {
			t.Errorf("message: %q", p.Detail)
		}
		clk.set("2030-03-10 10:00")
		// Evidence on an objective of another domain (HospiConnect's), a bad
		// link, a record outside the platform, a reader: refused.
		p = unchanged(t, app, c.ID, 422, "evidence on another domain's objective", func() *http.Response {
			return evidence(rssi, map[string]any{"objective": "cadrage", "kind": "link", "title": "x", "url": "https://example.org/"})
		})
		if len(p.Errors) != 1 || p.Errors[0].Field != "objective" {
			t.Errorf("another domain's objective: %+v", p)
		}
		unchanged(t, app, c.ID, 422, "a link without scheme", func() *http.Response {
			return evidence(rssi, map[string]any{"objective": "O1.A", "kind": "link", "title": "x", "url": "intranet/comex"})
		})
		unchanged(t, app, c.ID, 422, "a record off the platform", func() *http.Response {
			return evidence(rssi, map[string]any{"objective": "O1.C", "kind": "record", "title": "x", "url": "https://evil.example/continuite"})
		})
		unchanged(t, app, c.ID, 403, "evidence by the ARS", func() *http.Response { return evidence(ars, link) })
		unchanged(t, app, c.ID, 404, "evidence by the other region's ARS", func() *http.Response { return evidence(other, link) })

		if resp := evidence(rssi, link); resp.StatusCode != 201 {
			t.Fatalf("link: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := evidence(rssi, map[string]any{"objective": "O1.C", "kind": "record", "title": "Couverture BIA et PCRA", "url": fmt.Sprintf("/continuite?org=%d", chu.ID)}); resp.StatusCode != 201 {
			t.Fatalf("record: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
		if resp := postFile(t, app, rssi, base+"/evidence", map[string]string{"objective": "P1", "title": "Plan de continuité signé"}, "pca.pdf", pdf); resp.StatusCode != 201 {
			t.Fatalf("file: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var sh sheetJSON
		app.API(t, ars, "GET", base, nil, &sh)
		got := map[string]string{}
		for _, o := range sh.Objectives {
			for _, e := range o.Evidence {
				got[o.Key] = e.Kind + " " + e.Title + " by " + e.AddedBy
				if e.AddedAt.IsZero() || e.URL == "" {
					t.Errorf("evidence %+v", e)
				}
				if e.Kind == "file" {
					if resp := app.API(t, ars, "GET", e.URL, nil, nil); resp.StatusCode != 200 || testkit.BodyOf(resp) != string(pdf) {
						t.Errorf("the ARS downloads the file: %d", resp.StatusCode)
					}
				}
			}
			if o.Key == "O1.C" && (len(o.Indicators) != 1 || o.Indicators[0].Link != fmt.Sprintf("/continuite?org=%d", chu.ID)) {
				t.Errorf("O1.C's indicator link: %+v", o.Indicators)
			}
		}
		if len(got) != 3 || !strings.HasPrefix(got["P1"], "file Plan de continuité signé") || !strings.HasPrefix(got["O1.A"], "link Compte rendu") || !strings.HasPrefix(got["O1.C"], "record ") {
			t.Errorf("evidence per objective: %v", got)
		}

		decl := func(token string, objectives []string, amount any) *http.Response {
			return app.API(t, token, "POST", base+"/declaration", map[string]any{"objectives": objectives, "amount_requested": amount}, nil)
		}
		three := []string{"P1", "O1.A", "O1.C"}
		// Before the declaration opens (1 September 2030): refused.
		clk.set("2030-08-01 10:00")
		unchanged(t, app, c.ID, 409, "a declaration before it opens", func() *http.Response { return decl(direction, three, 50000) })
		clk.set("2030-09-10 10:00")
		unchanged(t, app, c.ID, 403, "a declaration by the RSSI", func() *http.Response { return decl(rssi, three, 50000) })
		unchanged(t, app, c.ID, 404, "a declaration by the other region's ARS", func() *http.Response { return decl(other, three, 50000) })
		p = unchanged(t, app, c.ID, 422, "an amount below zero", func() *http.Response { return decl(direction, three, -1) })
		if len(p.Errors) != 1 || p.Errors[0].Field != "amount_requested" || !strings.Contains(p.Errors[0].Detail, "négatif") {
			t.Errorf("amount below zero: %+v", p)
		}
		unchanged(t, app, c.ID, 422, "an amount above the ceiling", func() *http.Response { return decl(direction, three, 100001) })
		unchanged(t, app, c.ID, 422, "an objective of another domain", func() *http.Response { return decl(direction, []string{"cadrage"}, 10) })
		unchanged(t, app, c.ID, 409, "a verification before the declaration", func() *http.Response {
			return app.API(t, ars, "POST", base+"/objectives/P1/verification", map[string]any{"decision": "accept"}, nil)
		})
		if resp := decl(direction, three, 80000); resp.StatusCode != 200 {
			t.Fatalf("declare: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		m := app.Mail.Wait(t, mails+1)
		if strings.Join(m.To, ",") != "ars@demo.care.test" || !strings.Contains(m.Data, "O1.A") {
			t.Errorf("the ARS's mail: %v %s", m.To, m.Data)
		}
		mails++
		unchanged(t, app, c.ID, 409, "a second declaration", func() *http.Response { return decl(direction, three, 80000) })

		verify := func(token, code string, body map[string]any) *http.Response {
			return app.API(t, token, "POST", base+"/objectives/"+code+"/verification", body, nil)
		}
		clk.set("2030-10-02 10:00")
		unchanged(t, app, c.ID, 404, "a verification by the other region's ARS", func() *http.Response { return verify(other, "P1", map[string]any{"decision": "accept"}) })
		unchanged(t, app, c.ID, 403, "a verification by the direction", func() *http.Response { return verify(direction, "P1", map[string]any{"decision": "accept"}) })
		unchanged(t, app, c.ID, 422, "asking for more without a reason", func() *http.Response { return verify(ars, "O1.A", map[string]any{"decision": "more"}) })
		unchanged(t, app, c.ID, 404, "an objective not declared", func() *http.Response { return verify(ars, "O2.A", map[string]any{"decision": "accept"}) })
		unchanged(t, app, c.ID, 409, "a control before the verification", func() *http.Response {
			return app.API(t, pilot, "POST", base+"/control", map[string]any{"result": "passed", "amount_granted": 1}, nil)
		})
		for _, step := range []struct{ code, decision, reason string }{{"P1", "accept", ""}, {"O1.C", "refuse", "Couverture de 40 % seulement."}, {"O1.A", "more", "Joindre le relevé de décision signé."}} {
			if resp := verify(ars, step.code, map[string]any{"decision": step.decision, "reason": step.reason}); resp.StatusCode != 200 {
				t.Fatalf("verify %s: %d %s", step.code, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		m = app.Mail.Wait(t, mails+3*2) // each verification to the submitter and the direction
		mails += 6
		if !strings.Contains(m.Data, "Joindre le relev") {
			t.Errorf("the establishment's mail: %s", m.Data)
		}
		unchanged(t, app, c.ID, 409, "verifying an accepted objective again", func() *http.Response { return verify(ars, "P1", map[string]any{"decision": "refuse", "reason": "non"}) })
		// The ARS asked for more on O1.A: evidence and a new declaration of it,
		// after the declaration closed, until the verification ends.
		unchanged(t, app, c.ID, 409, "evidence on a refused objective", func() *http.Response {
			return evidence(rssi, map[string]any{"objective": "O1.C", "kind": "link", "title": "x", "url": "https://example.org/"})
		})
		unchanged(t, app, c.ID, 422, "declaring again an accepted objective", func() *http.Response { return decl(direction, []string{"P1"}, 80000) })
		if resp := evidence(rssi, map[string]any{"objective": "O1.A", "kind": "link", "title": "Relevé de décision signé", "url": "https://intranet.chu.example/releve"}); resp.StatusCode != 201 {
			t.Fatalf("more evidence: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := decl(direction, []string{"O1.A"}, 60000); resp.StatusCode != 200 {
			t.Fatalf("declare again: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		mails++
		if resp := verify(ars, "O1.A", map[string]any{"decision": "accept"}); resp.StatusCode != 200 {
			t.Fatalf("verify O1.A: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		m = app.Mail.Wait(t, mails+1)
		mails++
		if strings.Join(m.To, ",") != "pilote@demo.care.test" {
			t.Errorf("the national pilot's mail: %v %s", m.To, m.Data)
		}
		if st := progress(t, app.DB, c.ID); !strings.HasPrefix(st, "verified|60000|-||-|[O1.A=accepted O1.C=refused P1=accepted]|4 evidence") {
			t.Errorf("verified: %s", st)
		}

		control := func(token string, body map[string]any) *http.Response {
			return app.API(t, token, "POST", base+"/control", body, nil)
		}
		clk.set("2030-11-10 10:00")
		unchanged(t, app, c.ID, 403, "a control by the ARS", func() *http.Response {
			return control(ars, map[string]any{"result": "passed", "amount_granted": 50000})
		})
		unchanged(t, app, c.ID, 422, "a grant above the request", func() *http.Response {
			return control(pilot, map[string]any{"result": "passed", "amount_granted": 60001})
		})
		unchanged(t, app, c.ID, 422, "a grant below zero", func() *http.Response { return control(pilot, map[string]any{"result": "passed", "amount_granted": -5}) })
		unchanged(t, app, c.ID, 422, "a failure without reason", func() *http.Response { return control(pilot, map[string]any{"result": "failed"}) })
		unchanged(t, app, c.ID, 409, "a payment before the control", func() *http.Response {
			return app.API(t, pilot, "POST", base+"/payment", map[string]any{"status": "to_pay"}, nil)
		})
		if resp := control(pilot, map[string]any{"result": "passed", "amount_granted": 40000, "reason": "O1.C non atteint."}); resp.StatusCode != 200 {
			t.Fatalf("control: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		m = app.Mail.Wait(t, mails+2) // the submitter and the direction
		mails += 2
		if !strings.Contains(m.Data, "Contr=C3=B4le satisfait") && !strings.Contains(m.Data, "Contrôle satisfait") {
			t.Errorf("the establishment's mail of the control: %s", m.Data)
		}
		pay := func(body map[string]any) *http.Response { return app.API(t, pilot, "POST", base+"/payment", body, nil) }
		clk.set("2030-12-01 10:00")
		unchanged(t, app, c.ID, 422, "a payment above the grant", func() *http.Response {
			return pay(map[string]any{"status": "paid", "amount_paid": 40001, "paid_on": "2030-11-30"})
		})
		unchanged(t, app, c.ID, 422, "a payment in the future", func() *http.Response {
			return pay(map[string]any{"status": "paid", "amount_paid": 40000, "paid_on": "2030-12-02"})
		})
		if resp := pay(map[string]any{"status": "to_pay"}); resp.StatusCode != 200 {
			t.Fatalf("to pay: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := pay(map[string]any{"status": "paid", "amount_paid": 40000, "paid_on": "2030-11-30"}); resp.StatusCode != 200 {
			t.Fatalf("paid: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if m = app.Mail.Wait(t, mails+4); !strings.Contains(m.Data, "Pay") { // to pay, then paid: each to the submitter and the direction
			t.Errorf("the establishment's mail of the payment: %s", m.Data)
		}
		app.API(t, rssi, "GET", base, nil, &sh)
		if sh.Status != funding.Paid || sh.PaymentStatus != "paid" || *sh.AmountRequested != 60000 || *sh.AmountGranted != 40000 || *sh.AmountPaid != 40000 || *sh.PaidOn != "2030-11-30" {
			t.Errorf("paid: %+v", sh)
		}
		unchanged(t, app, c.ID, 409, "a second payment", func() *http.Response { return pay(map[string]any{"status": "to_pay"}) })
		if resp := app.API(t, other, "GET", base, nil, nil); resp.StatusCode != 404 {
			t.Errorf("the other region's ARS reads it: %d", resp.StatusCode)
		}

		actions, err := db.List(t.Context(), app.DB.Read, "trail", func(row db.Row) (string, error) {
			var a, actor string
			err := row.Scan(&a, &actor)
			return a + " by " + strings.TrimSuffix(actor, "@demo.care.test"), err
		}, "SELECT action, actor FROM audit_log WHERE object_type = 'funding_candidature' AND object_id = $1 ORDER BY id", fmt.Sprint(c.ID))
		if err != nil {
			t.Fatal(err)
		}
		want := "funding.candidature_submit by rssi; funding.candidature_accept by ars; funding.evidence_add by rssi; funding.evidence_add by rssi; funding.evidence_add by rssi; " +
			"funding.declaration_sign by direction; funding.objective_verify by ars; funding.objective_verify by ars; funding.objective_verify by ars; " +
			"funding.evidence_add by rssi; funding.declaration_again by direction; funding.objective_verify by ars; funding.control by pilote; funding.payment by pilote; funding.payment by pilote"
		if strings.Join(actions, "; ") != want {
			t.Errorf("trail:\n%s\nwant\n%s", strings.Join(actions, "; "), want)
		}
	})
}

// A declaration after the call's deadline (the last day of its declaration
// phase) is refused and changes nothing; so is evidence after the operational
// phase.
func TestDeclarationLate(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	clk := withPayCall(t, app)
	chu := app.Org(t, "CHU de Port-Émeraude")
	var c candidatureJSON
	app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2", "call": "d2-pay"}, &c)
	if resp := app.API(t, app.Token(t, "ars@demo.care.test"), "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/decision", c.ID), map[string]any{"decision": "accept"}, nil); resp.StatusCode != 200 {
		t.Fatalf("accept: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	clk.set("2030-10-01 00:00")
	p := unchanged(t, app, c.ID, 409, "a late declaration", func() *http.Response {
		return app.API(t, app.Token(t, "direction@demo.care.test"), "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/declaration", c.ID),
			map[string]any{"objectives": []string{"P1"}, "amount_requested": 10}, nil)
	})
	if !strings.Contains(p.Detail, "clos") {
		t.Errorf("message: %q", p.Detail)
	}
	unchanged(t, app, c.ID, 409, "late evidence", func() *http.Response {
		return app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/evidence", c.ID),
			map[string]any{"objective": "P1", "kind": "link", "title": "x", "url": "https://example.org/"}, nil)
	})
}

// Reminders before a deadline go once per candidature, step and deadline, to
// whoever must act, even across a restart (a new service on the same
// database), and not before the reminder window.
func TestRemindOnce(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		clk := withPayCall(t, app)
		chu := app.Org(t, "CHU de Port-Émeraude")
		var c candidatureJSON
		app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": chu.ID, "domain": "d2", "call": "d2-pay"}, &c)
		ctx := authz.WithSubject(t.Context(), authz.Subject{})
		// The instruction closes on 28 February: reminded from the 15th.
		at := func(s string) time.Time { clk.set(s); return clk.now() }
		if n, err := app.Server.Funding.Remind(ctx, at("2030-02-01 08:00")); err != nil || n != 0 {
			t.Fatalf("too early: %d %v", n, err)
		}
		app.Mail.Wait(t, 1) // the ARS told of the submission
		before := 1
		if n, err := app.Server.Funding.Remind(ctx, at("2030-02-20 08:00")); err != nil || n != 1 {
			t.Fatalf("instruction reminder: %d %v", n, err)
		}
		m := app.Mail.Wait(t, before+1)
		if strings.Join(m.To, ",") != "ars@demo.care.test" || !strings.Contains(m.Data, "28/02/2030") {
			t.Errorf("the reminder: %v %s", m.To, m.Data)
		}
		restarted := &funding.Service{DB: app.DB, Mail: app.Server.Funding.Mail}
		for _, s := range []*funding.Service{app.Server.Funding, restarted} {
			if n, err := s.Remind(ctx, at("2030-02-25 08:00")); err != nil || n != 0 {
				t.Errorf("sent again: %d %v", n, err)
			}
		}
		// Accepted: the next step is the declaration, due on 30 September.
		clk.set("2030-02-26 08:00")
		app.API(t, app.Token(t, "ars@demo.care.test"), "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/decision", c.ID), map[string]any{"decision": "accept"}, nil)
		if n, err := restarted.Remind(ctx, at("2030-09-20 08:00")); err != nil || n != 1 {
			t.Fatalf("declaration reminder: %d %v", n, err)
		}
		m = app.Mail.Wait(t, before+4) // the decision, then the reminder to the RSSI and the direction
		if !strings.Contains(m.Data, "30/09/2030") {
			t.Errorf("the declaration reminder: %v %s", m.To, m.Data)
		}
		var rows int
		if err := app.DB.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM funding_reminders WHERE candidature_id = $1", c.ID).Scan(&rows); err != nil || rows != 2 {
			t.Errorf("reminders recorded: %d %v", rows, err)
		}
	})
}
