package funding_test

import (
	"testing"

	"care/internal/testkit"
)

// The API's shapes: domains with their objectives' codes and titles, calls with
// their domain, phases and dates (null when unpublished), snake_case.
func TestFundingAPI(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	token := app.Token(t, "rssi@demo.care.test")

	var domains struct {
		Items []struct {
			ID         string `json:"id"`
			Code       string `json:"code"`
			Title      string `json:"title"`
			Public     bool   `json:"public"`
			Note       string `json:"note"`
			Objectives []struct {
				Code     string   `json:"code"`
				Title    string   `json:"title"`
				Year     *int     `json:"year"`
				Rule     *string  `json:"rule"`
				Evidence []string `json:"evidence"`
				Source   string   `json:"source"`
			} `json:"objectives"`
			Prerequisites []struct {
				Code string `json:"code"`
			} `json:"prerequisites"`
			Withheld []struct {
				Subject string `json:"subject"`
				Note    string `json:"note"`
			} `json:"withheld"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if resp := app.API(t, token, "GET", "/api/v1/funding/domains", nil, &domains); resp.StatusCode != 200 {
		t.Fatalf("domains: %d", resp.StatusCode)
	}
	if domains.Total != 5 || len(domains.Items) != 5 {
		t.Fatalf("%d domains", len(domains.Items))
	}
	d2 := domains.Items[1]
	if d2.ID != "d2" || d2.Code != "D2" || d2.Title != "Stratégie de continuité et de reprise d'activité" || len(d2.Prerequisites) != 2 || d2.Prerequisites[0].Code != "P1" {
		t.Errorf("D2: %+v", d2)
	}
	found := false
	for _, o := range d2.Objectives {
		if o.Code == "O1.C" {
			found = true
			if o.Title == "" || o.Rule == nil || *o.Rule != "continuity.coverage" || len(o.Evidence) == 0 || o.Year != nil || o.Source == "" {
				t.Errorf("O1.C: %+v", o)
			}
		}
		if o.Code == "O1" && (o.Rule != nil || o.Evidence == nil) {
			t.Errorf("O1 has no rule and an empty evidence list, not null: %+v", o)
		}
	}
	if !found {
		t.Error("no O1.C")
	}
	d1, hc, remote := domains.Items[0], domains.Items[2], domains.Items[3]
	if d1.Code != "D1" || len(d1.Objectives) != 0 || len(d1.Withheld) != 2 || d1.Withheld[0].Subject != "objectives" || d1.Withheld[0].Note == "" {
		t.Errorf("D1: %+v", d1)
	}
	if hc.Objectives[2].Code != "1.0" || hc.Objectives[2].Year == nil || *hc.Objectives[2].Year != 2027 {
		t.Errorf("HospiConnect by year: %+v", hc.Objectives[2])
	}
	if remote.ID != "acces-distants" || remote.Public || remote.Note == "" || remote.Code != "" {
		t.Errorf("remote access: %+v", remote)
	}

	type phase struct {
		Phase  string  `json:"phase"`
		From   *string `json:"from"`
		To     *string `json:"to"`
		Status string  `json:"status"`
	}
	var calls struct {
		Items []struct {
			ID       string   `json:"id"`
			Domain   string   `json:"domain"`
			Cats     []string `json:"categories"`
			Envelope struct {
				EUR    *int64 `json:"eur"`
				Public bool   `json:"public"`
			} `json:"envelope"`
			Ceiling struct {
				EUR    *int64 `json:"eur"`
				Public bool   `json:"public"`
				Note   string `json:"note"`
			} `json:"ceiling"`
			Phases      []phase `json:"phases"`
			Operational *struct {
				From string  `json:"from"`
				To   *string `json:"to"`
			} `json:"operational_phase"`
			Open bool `json:"candidature_open"`
		} `json:"items"`
	}
	if resp := app.API(t, token, "GET", "/api/v1/funding/calls", nil, &calls); resp.StatusCode != 200 || len(calls.Items) != 4 {
		t.Fatalf("calls: %d, %d items", resp.StatusCode, len(calls.Items))
	}
	d1call, d2call := calls.Items[0], calls.Items[1]
	if d1call.ID != "d1-2024" || d1call.Domain != "d1" || len(d1call.Cats) != 4 || d1call.Envelope.EUR == nil || *d1call.Envelope.EUR != 65000000 ||
		d1call.Ceiling.Public || d1call.Ceiling.EUR != nil || d1call.Ceiling.Note == "" {
		t.Errorf("D1 call: %+v", d1call)
	}
	if len(d1call.Phases) != 7 || d1call.Phases[0].Phase != "candidature" || *d1call.Phases[0].From != "2024-03-18" || *d1call.Phases[0].To != "2024-04-19" ||
		d1call.Phases[0].Status != "done" || d1call.Phases[1].From != nil {
		t.Errorf("D1 phases: %+v", d1call.Phases)
	}
	if d2call.ID != "d2-2025" || d2call.Operational == nil || d2call.Operational.From != "2025-01-18" || d2call.Operational.To != nil || d2call.Envelope.Public {
		t.Errorf("D2 call: %+v", d2call)
	}

	var only struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	app.API(t, token, "GET", "/api/v1/funding/calls?domain=d1", nil, &only)
	if len(only.Items) != 2 || only.Items[0].ID != "d1-2024" || only.Items[1].ID != "d1-bis-2026" {
		t.Errorf("D1's calls: %+v", only.Items)
	}
	if resp := app.API(t, token, "GET", "/api/v1/funding/calls?domain=d9", nil, nil); resp.StatusCode != 400 {
		t.Errorf("an unknown domain: %d", resp.StatusCode)
	}
	if resp := app.API(t, "", "GET", "/api/v1/funding/domains", nil, nil); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
}
