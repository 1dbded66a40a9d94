package funding_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The candidature page after acceptance, on the demo's CHU candidature
// (declared, P1 verified): each actor sees the evidence, the indicators with
// their links, the verification state, and only their own forms, when it is
// their turn; the ARS verifies from the page, the national pilot controls and
// records the payment.
func TestProgressPages(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	chu, _ := demoCandidatures(t, app)
	chuOrg := app.Org(t, "CHU de Port-Émeraude")
	page := fmt.Sprintf("/financement/candidatures/%d", chu)
	var file int64
	if err := app.DB.Read.QueryRowContext(t.Context(), "SELECT id FROM funding_evidence WHERE candidature_id = $1 AND kind = 'file'", chu).Scan(&file); err != nil {
		t.Fatal(err)
	}
	testkit.Play(t, app, []testkit.Scenario{
		{Name: "the ARS sees evidence, indicators and the objectives to verify", As: "ars@demo.care.test", Path: page, Status: 200,
			Contains: []string{"Note de la direction nommant le responsable du PCRA", "Compte rendu du comité de direction", "Couverture BIA et PCRA sur la plateforme",
				fmt.Sprintf(`href="/continuite?org=%d"`, chuOrg.ID), "voir la page", "Accepté par l&#39;ARS", "Déclaré, à vérifier", "180\u202f000\u00a0€",
				page + "/objectifs/P2/verification", page + "/objectifs/O1.C/verification", `value="more"`},
			Excludes: []string{page + "/objectifs/P1/verification", `id="evidence-form"`, `id="declaration-form"`, `id="control-form"`}},
		{Name: "the ARS opens the continuity indicator's page", As: "ars@demo.care.test", Path: fmt.Sprintf("/continuite?org=%d", chuOrg.ID), Status: 200},
		{Name: "and the directory's", As: "ars@demo.care.test", Path: fmt.Sprintf("/annuaire?org=%d", chuOrg.ID), Status: 200},
		{Name: "the RSSI may add evidence, not verify", As: "rssi@demo.care.test", Path: page, Status: 200,
			Contains: []string{`id="evidence-form"`, `value="O1.C"`}, Excludes: []string{`value="P1"`, "/verification", `id="declaration-form"`}},
		{Name: "the direction has nothing to sign again", As: "direction@demo.care.test", Path: page, Status: 200, Excludes: []string{`id="declaration-form"`, "/verification"}},
		{Name: "the pilot waits for the ARS", As: "pilote@demo.care.test", Path: page, Status: 200, Excludes: []string{`id="control-form"`, "/verification"}},
		{Name: "the ARS downloads the file", As: "ars@demo.care.test", Path: fmt.Sprintf("%s/preuves/%d", page, file), Status: 200, Contains: []string{"Eden Pcra"}},
		{Name: "the EHPAD's reader does not", As: "lecteur@demo.care.test", Path: fmt.Sprintf("%s/preuves/%d", page, file), Status: 404},
		{Name: "a record outside the platform is refused on the page", As: "rssi@demo.care.test", Method: "POST", Path: page + "/preuves",
			Form: url.Values{"objective": {"O1.C"}, "kind": {"record"}, "title": {"x"}, "url": {"https://example.org/"}}, Status: 422, Contains: []string{"page de la plateforme"}},
		{Name: "the ARS must give a reason to refuse", As: "ars@demo.care.test", Method: "POST", Path: page + "/objectifs/O1.C/verification", Form: url.Values{"decision": {"refuse"}}, Status: 422,
			Contains: []string{"Le motif est obligatoire"}},
		{Name: "the ARS accepts P2", As: "ars@demo.care.test", Method: "POST", Path: page + "/objectifs/P2/verification", Form: url.Values{"decision": {"accept"}}, Status: 303},
		{Name: "the ARS refuses O1.C", As: "ars@demo.care.test", Method: "POST", Path: page + "/objectifs/O1.C/verification", Form: url.Values{"decision": {"refuse"}, "reason": {"Couverture insuffisante."}}, Status: 303},
		{Name: "verified: the pilot's turn", As: "pilote@demo.care.test", Path: page, Status: 200, Contains: []string{"Vérifiée par l&#39;ARS", `id="control-form"`, "Couverture insuffisante."}},
		{Name: "the RSSI no longer adds evidence", As: "rssi@demo.care.test", Path: page, Status: 200, Excludes: []string{`id="evidence-form"`}},
		{Name: "a grant written with cents", As: "pilote@demo.care.test", Method: "POST", Path: page + "/controle", Form: url.Values{"result": {"passed"}, "amount_granted": {"1200,50"}}, Status: 422,
			Contains: []string{"euros entiers"}},
		{Name: "the pilot controls", As: "pilote@demo.care.test", Method: "POST", Path: page + "/controle", Form: url.Values{"result": {"passed"}, "amount_granted": {"120 000"}}, Status: 303},
		{Name: "the pilot records the payment", As: "pilote@demo.care.test", Method: "POST", Path: page + "/paiement", Form: url.Values{"status": {"paid"}, "amount_paid": {"120000"}, "paid_on": {"2026-03-02"}}, Status: 303},
		{Name: "paid", As: "rssi@demo.care.test", Path: page, Status: 200, Contains: []string{"Payée", "120\u202f000\u00a0€"}, Excludes: []string{`id="payment-form"`}},
	})
}

// Fixes of the candidature list: a withdrawn candidature no longer blocks a
// new one (the same row submitted again), the establishments a GHT's
// candidature carries see it, and the list comes a page at a time.
func TestCandidatureListFixes(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	withOpenCalls(t, app)
	dsi, rssi := app.Token(t, "dsi@demo.care.test"), app.Token(t, "rssi@demo.care.test")
	ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
	var first, again candidatureJSON
	app.API(t, dsi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": ch.ID, "domain": "d2", "call": "d2-test"}, &first)
	app.API(t, dsi, "POST", fmt.Sprintf("/api/v1/funding/candidatures/%d/withdraw", first.ID), nil, nil)
	if resp := app.API(t, dsi, "POST", "/api/v1/funding/candidatures", map[string]any{"org": ch.ID, "domain": "d2", "call": "d2-test"}, &again); resp.StatusCode != 201 {
		t.Fatalf("submitted again after a withdrawal: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if again.ID != first.ID || again.Status != "submitted" {
		t.Errorf("submitted again: %+v (first %d)", again, first.ID)
	}

	// The GHT candidates for the CHU (the CH has its own): the CHU's RSSI sees it.
	var g candidatureJSON
	if resp := app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "POST", "/api/v1/funding/candidatures", map[string]any{"org": app.Org(t, "GHT Littoral Émeraude").ID, "domain": "d2", "call": "d2-test"}, &g); resp.StatusCode != 201 {
		t.Fatalf("GHT: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if len(g.Members) != 1 || g.Members[0].Name != "CHU de Port-Émeraude" {
		t.Errorf("members: %+v", g.Members)
	}
	if resp := app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", g.ID), nil, nil); resp.StatusCode != 200 {
		t.Errorf("the carried CHU's RSSI reads the GHT's candidature: %d", resp.StatusCode)
	}
	if resp := app.API(t, dsi, "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", g.ID), nil, nil); resp.StatusCode != 404 {
		t.Errorf("the CH (not carried) reads the GHT's candidature: %d", resp.StatusCode)
	}
	var list struct {
		Items []candidatureJSON `json:"items"`
		Total int               `json:"total"`
		Limit int               `json:"limit"`
	}
	app.API(t, rssi, "GET", "/api/v1/funding/candidatures", nil, &list)
	if list.Total != 2 || list.Items[0].ID != g.ID {
		t.Errorf("the CHU's RSSI lists %+v", list)
	}
	// A page at a time: the pilot sees the demo's two, the CH's, the GHT's.
	pilot := app.Token(t, "pilote@demo.care.test")
	app.API(t, pilot, "GET", "/api/v1/funding/candidatures?limit=3", nil, &list)
	if list.Total != 4 || len(list.Items) != 3 || list.Limit != 3 {
		t.Errorf("first page: %d of %d", len(list.Items), list.Total)
	}
	app.API(t, pilot, "GET", "/api/v1/funding/candidatures?limit=3&offset=3", nil, &list)
	if list.Total != 4 || len(list.Items) != 1 {
		t.Errorf("second page: %d of %d", len(list.Items), list.Total)
	}
	if body := testkit.BodyOf(app.Get(t, app.Login(t, "rssi@demo.care.test"), "/financement/candidatures")); !strings.Contains(body, "GHT Littoral Émeraude") {
		t.Errorf("the CHU's list page lacks the GHT's candidature")
	}
}
