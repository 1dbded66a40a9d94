package funding_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"care/internal/testkit"
)

// demoCandidatures returns the ids of the demo's candidatures: the CHU's
// (accepted) and the CH's (waiting).
func demoCandidatures(t *testing.T, app *testkit.App) (chu, ch int64) {
	t.Helper()
	var list struct {
		Items []candidatureJSON `json:"items"`
	}
	app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/api/v1/funding/candidatures", nil, &list)
	for _, c := range list.Items {
		switch {
		case c.Org == app.Org(t, "CHU de Port-Émeraude").ID:
			chu = c.ID
		case c.Org == app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID:
			ch = c.ID
		}
	}
	if chu == 0 || ch == 0 {
		t.Fatalf("demo candidatures: %+v", list.Items)
	}
	return chu, ch
}

// The demo's candidatures and GET /api/v1/funding/candidatures/{id}: the D2
// objectives with their codes, evidence (an empty list) and indicators, each
// with its name, its source and either a value or available: false — the rule
// with no provider (none in D2) and a provider with nothing to show alike.
func TestCandidatureAPIShape(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	withOpenCalls(t, app)
	chu, ch := demoCandidatures(t, app)
	var sheet struct {
		candidatureJSON
		Objectives []struct {
			Code       string           `json:"code"`
			Evidence   []map[string]any `json:"evidence"`
			Indicators []map[string]any `json:"indicators"`
		} `json:"objectives"`
		Aims []struct {
			Indicators []map[string]any `json:"indicators"`
		} `json:"aims"`
	}
	resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", chu), nil, &sheet)
	if resp.StatusCode != 200 || sheet.Status != "declared" || sheet.Call != "d2-2025" || sheet.Category != "ght" {
		t.Fatalf("the CHU's candidature: %d %+v", resp.StatusCode, sheet.candidatureJSON)
	}
	body := testkit.BodyOf(resp)
	for _, key := range []string{`"submitted_at"`, `"decided_at"`, `"programme_version"`, `"org_name"`} {
		if !strings.Contains(body, key) {
			t.Errorf("the answer lacks %s", key)
		}
	}
	codes := map[string]map[string]any{}
	for _, o := range sheet.Objectives {
		if o.Evidence == nil {
			t.Errorf("%s: evidence is null, not an empty list", o.Code)
		}
		for _, ind := range o.Indicators {
			codes[o.Code] = ind
			_, hasValue := ind["value"]
			avail, hasAvail := ind["available"]
			if hasValue == hasAvail || (hasAvail && avail != false) || ind["name"] == nil || ind["source"] == nil {
				t.Errorf("%s: indicator %v is not a value or available: false", o.Code, ind)
			}
		}
	}
	if len(sheet.Objectives) < 10 || sheet.Objectives[0].Code != "P1" {
		t.Errorf("objectives: %+v", sheet.Objectives)
	}
	// O1.C: the continuity coverage of the CHU, which the demo fills.
	cov := codes["O1.C"]
	if cov["name"] != "continuity.coverage" || cov["source"] != "continuity" {
		t.Errorf("O1.C's indicator: %v", cov)
	}
	if v, ok := cov["value"].(map[string]any); !ok || v["bia"] == nil || v["plan"] == nil {
		t.Errorf("O1.C's coverage value: %v", cov)
	}
	if resp := app.API(t, app.Token(t, "dsi@demo.care.test"), "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", ch), nil, nil); resp.StatusCode != 200 {
		t.Errorf("the CH's DSI reads its candidature: %d", resp.StatusCode)
	}

	// A D1 candidature of the clinic: the aims' indicators. The yearly exercise
	// has no provider yet: available false, never a value; the validated
	// maturity assessment of the demo shows its level.
	admin := app.Token(t, "admin@demo.care.test")
	var d1 candidatureJSON
	if resp := app.API(t, admin, "POST", "/api/v1/funding/candidatures", map[string]any{"org": app.Org(t, "Clinique des Quatre-Vents").ID, "domain": "d1", "call": "d1-test"}, &d1); resp.StatusCode != 201 {
		t.Fatalf("the clinic's D1 candidature: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	sheet.Aims = nil
	app.API(t, admin, "GET", fmt.Sprintf("/api/v1/funding/candidatures/%d", d1.ID), nil, &sheet)
	rules := map[string]map[string]any{}
	for _, a := range sheet.Aims {
		for _, ind := range a.Indicators {
			rules[ind["name"].(string)] = ind
		}
	}
	if ind := rules["exercise.yearly"]; ind["available"] != false || ind["value"] != nil || ind["source"] != "exercise" {
		t.Errorf("the yearly exercise without provider: %v", ind)
	}
	if v, ok := rules["maturity.validated"]["value"].(map[string]any); !ok || v["level"] == nil || v["validated_on"] == nil {
		t.Errorf("the validated maturity assessment: %v", rules["maturity.validated"])
	}
	if len(rules) != 5 {
		t.Errorf("D1 aims' indicators: %v", rules)
	}
	// The page says so in words.
	body = testkit.BodyOf(app.Get(t, app.Login(t, "admin@demo.care.test"), fmt.Sprintf("/financement/candidatures/%d", d1.ID)))
	if !strings.Contains(body, `data-rule="exercise.yearly" data-available="false"`) || !strings.Contains(body, "pas encore disponible") {
		t.Errorf("the page does not say the yearly exercise is not available yet")
	}
}

// Who sees what on the candidature pages and API.
func TestCandidatureScenarios(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	withOpenCalls(t, app)
	chu, ch := demoCandidatures(t, app)
	chuOrg := app.Org(t, "CHU de Port-Émeraude")
	r1 := app.Org(t, "Région Armor-Océan (fictive)")
	page := func(id int64) string { return fmt.Sprintf("/financement/candidatures/%d", id) }
	api := func(id int64) string { return fmt.Sprintf("/api/v1/funding/candidatures/%d", id) }
	testkit.Play(t, app, []testkit.Scenario{
		{Name: "the RSSI sees its candidature and the open call", As: "rssi@demo.care.test", Path: "/financement/candidatures", Status: 200,
			Contains: []string{"CHU de Port-Émeraude", "Appel à financement du Domaine 2 (2025)", "Déclaration signée", "Appel de test du Domaine 2", `name="call"`},
			Excludes: []string{"Saint-Aubin-des-Landes", `value="accept"`}},
		{Name: "the ARS referent has the region's one to instruct", As: "ars@demo.care.test", Path: fmt.Sprintf("/financement/candidatures?org=%d", r1.ID), Status: 200,
			Contains: []string{"1 à instruire sur 2 candidature(s)", "Saint-Aubin-des-Landes", `value="accept"`, `value="reject"`}, Excludes: []string{`name="call"`}},
		{Name: "the candidature page with its objectives and indicators", As: "ars@demo.care.test", Path: page(chu), Status: 200,
			Contains: []string{"Candidature de CHU de Port-Émeraude", "O1.C", "Indicateurs de la plateforme", "Dossier complet", "Déclaration signée"}, Excludes: []string{`value="reject"`}},
		{Name: "the waiting one offers the decision to the ARS", As: "ars@demo.care.test", Path: page(ch), Status: 200, Contains: []string{`value="accept"`, "En instruction"}},
		{Name: "the waiting one offers the withdrawal to its DSI only", As: "dsi@demo.care.test", Path: page(ch), Status: 200, Contains: []string{"Retirer la candidature"}, Excludes: []string{`value="accept"`}},
		{Name: "the EHPAD's reader does not see the CHU's", As: "lecteur@demo.care.test", Path: page(chu), Status: 404},
		{Name: "nor in the API", As: "lecteur@demo.care.test", Path: api(chu), Status: 404},
		{Name: "the EHPAD's reader lists none", As: "lecteur@demo.care.test", Path: "/api/v1/funding/candidatures", Status: 200, Contains: []string{`"total": 0`}},
		{Name: "the pilot sees every candidature", As: "pilote@demo.care.test", Path: "/api/v1/funding/candidatures", Status: 200, Contains: []string{`"total": 2`}},
		{Name: "a list under a node out of sight", As: "dsi@demo.care.test", Path: fmt.Sprintf("/api/v1/funding/candidatures?org=%d", chuOrg.ID), Status: 404},
		{Name: "the RSSI cannot decide from the page", As: "rssi@demo.care.test", Method: "POST", Path: page(ch) + "/decision", Form: url.Values{"decision": {"accept"}}, Status: 404},
		{Name: "the ARS must give a reason to reject", As: "ars@demo.care.test", Method: "POST", Path: page(ch) + "/decision", Form: url.Values{"decision": {"reject"}}, Status: 422,
			Contains: []string{"Le motif est obligatoire pour refuser une candidature."}},
		{Name: "the ARS rejects with a reason", As: "ars@demo.care.test", Method: "POST", Path: page(ch) + "/decision", Form: url.Values{"decision": {"reject"}, "reason": {"Prérequis P1 non justifié."}}, Status: 303},
		{Name: "the rejection and its reason show", As: "dsi@demo.care.test", Path: page(ch), Status: 200, Contains: []string{"Refusée", "Prérequis P1 non justifié."}, Excludes: []string{"Retirer la candidature"}},
		{Name: "the RSSI candidates from the page", As: "rssi@demo.care.test", Method: "POST", Path: fmt.Sprintf("/financement/candidatures?org=%d", chuOrg.ID), Form: url.Values{"call": {"d2-test"}}, Status: 303},
		{Name: "twice is refused on the page", As: "rssi@demo.care.test", Method: "POST", Path: fmt.Sprintf("/financement/candidatures?org=%d", chuOrg.ID), Form: url.Values{"call": {"d2-test"}}, Status: 409,
			Contains: []string{"a déjà une candidature"}},
		{Name: "a candidature without its node", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/funding/candidatures", Body: map[string]any{"domain": "d2"}, Status: 422, Contains: []string{`"field":"org"`}},
		{Name: "an unknown field", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/funding/candidatures", Body: map[string]any{"org": chuOrg.ID, "domain": "d2", "amount": 3}, Status: 422},
		{Name: "anonymous", Path: "/api/v1/funding/candidatures", Status: 401},
	})
}
