package directory_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"care/internal/directory"
	"care/internal/funding"
	"care/internal/testkit"
)

type convergenceAnswer struct {
	Target     *string `json:"target"`
	Milestones []struct {
		Title string `json:"title"`
		DueOn string `json:"due_on"`
		Owner string `json:"owner"`
		Done  bool   `json:"done"`
	} `json:"milestones"`
	Members []struct {
		Name       string `json:"name"`
		Level      *int   `json:"level"`
		Trajectory []struct {
			Level int `json:"level"`
		} `json:"trajectory"`
	} `json:"members"`
}

// A GHT's directory convergence (Domaine 1: plan a convergence path of the
// technical directories at GHT level): its target and milestones, written whole
// by who runs the programme on the GHT, read by who reads the GHT, beside its
// members' audited directories and their level over time; bad input is refused
// and changes nothing.
func TestConvergence(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		admin := app.Token(t, "admin@demo.care.test")
		g2 := app.Org(t, "GHT Volcans et Vallées")
		chv := app.Org(t, "Centre hospitalier de Val-Sainte-Claire")
		path := fmt.Sprintf("/api/v1/orgs/%d/directory/convergence", g2.ID)
		read := func(token string) (convergenceAnswer, string, int) {
			var out convergenceAnswer
			resp := app.API(t, token, "GET", path, nil, nil)
			body := testkit.BodyOf(resp)
			if resp.StatusCode == 200 {
				app.API(t, token, "GET", path, nil, &out)
			}
			return out, body, resp.StatusCode
		}
		empty, _, status := read(admin)
		if status != 200 || empty.Target != nil || len(empty.Milestones) != 0 || len(empty.Members) != 2 || empty.Members[0].Level != nil {
			t.Fatalf("a GHT without plan: %d %+v", status, empty)
		}
		ctx := testkit.As(t, app, "admin@demo.care.test")
		for _, at := range []time.Time{time.Now().AddDate(0, -2, 0), time.Now().Add(-time.Hour)} {
			if _, err := app.Server.Directory.Record(ctx, chv.ID, tinyDomain(at), directory.SourceImport); err != nil {
				t.Fatal(err)
			}
		}
		plan := map[string]any{"target": "trust", "note": "Relations d'approbation filtrées vers l'annuaire du CH support.", "milestones": []map[string]any{
			{"title": "Cartographie des annuaires", "due_on": "2026-03-31", "owner": "RSSI du GHT", "done": true},
			{"title": "Relations d'approbation avec filtrage des SID", "due_on": "2027-06-30", "owner": "DSI du CH support"},
		}}
		if resp := app.API(t, admin, "PUT", path, plan, nil); resp.StatusCode != 200 {
			t.Fatalf("saving the plan: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		saved, before, _ := read(admin)
		if saved.Target == nil || *saved.Target != "trust" || len(saved.Milestones) != 2 || !saved.Milestones[0].Done || saved.Milestones[1].Done || saved.Milestones[1].Owner != "DSI du CH support" {
			t.Fatalf("the saved plan: %+v", saved)
		}
		for _, m := range saved.Members {
			if audited := m.Name == chv.Name; audited != (m.Level != nil) || (audited && (*m.Level != 4 || len(m.Trajectory) != 2)) {
				t.Errorf("the member's directory: %+v", m)
			}
		}

		// Refused whole, nothing stored.
		bad := func(milestones any, target string) map[string]any {
			return map[string]any{"target": target, "milestones": milestones}
		}
		good := map[string]any{"title": "Un jalon", "due_on": "2027-01-31"}
		for _, c := range []struct {
			name   string
			body   any
			status int
			key    string
		}{
			{"no title", bad([]map[string]any{good, {"due_on": "2027-01-31"}}, "single"), 422, "Le jalon n° 2 n'a pas d'intitulé."},
			{"no date", bad([]map[string]any{{"title": "Sans date"}}, "single"), 422, "Le jalon n° 1 n'a pas de date."},
			{"not a date", bad([]map[string]any{{"title": "Mauvaise date", "due_on": "31/12/2026"}}, "single"), 422, "n'est pas une date AAAA-MM-JJ"},
			{"no target", bad([]map[string]any{good}, "forest"), 422, "Choisissez la cible"},
			{"a date as a number", map[string]any{"target": "single", "milestones": []map[string]any{{"title": "x", "due_on": 20270131}}}, 422, "Corps JSON invalide"},
		} {
			resp := app.API(t, admin, "PUT", path, c.body, nil)
			if resp.StatusCode != c.status || !strings.Contains(testkit.BodyOf(resp), c.key) {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, testkit.BodyOf(resp))
			}
			if _, after, _ := read(admin); after != before {
				t.Errorf("%s changed the plan: %s", c.name, after)
			}
		}

		// Who reads and who writes.
		ght1 := app.Token(t, "rssi.ght@demo.care.test")
		if _, _, status := read(ght1); status != 404 {
			t.Errorf("the RSSI of another GHT reads the plan: %d", status)
		}
		if resp := app.API(t, ght1, "PUT", path, plan, nil); resp.StatusCode != 404 {
			t.Errorf("the RSSI of another GHT writes the plan: %d", resp.StatusCode)
		}
		g1 := app.Org(t, "GHT Littoral Émeraude")
		g1path := fmt.Sprintf("/api/v1/orgs/%d/directory/convergence", g1.ID)
		if resp := app.API(t, app.Token(t, "ars@demo.care.test"), "PUT", g1path, plan, nil); resp.StatusCode != 403 {
			t.Errorf("the ARS writes a GHT's plan: %d", resp.StatusCode)
		}
		if resp := app.API(t, app.Token(t, "ars@demo.care.test"), "GET", g1path, nil, nil); resp.StatusCode != 200 {
			t.Errorf("the ARS reads a GHT's plan of its region: %d", resp.StatusCode)
		}
		if resp := app.API(t, app.Token(t, "lecteur@demo.care.test"), "GET", g1path, nil, nil); resp.StatusCode != 404 {
			t.Errorf("the EHPAD's reader reads its GHT's plan: %d", resp.StatusCode)
		}
		if resp := app.API(t, admin, "PUT", fmt.Sprintf("/api/v1/orgs/%d/directory/convergence", chv.ID), plan, nil); resp.StatusCode != 422 {
			t.Errorf("a plan for an establishment: %d", resp.StatusCode)
		}

		// The summary that feeds the Domaine 1 indicator, for the GHT and its members.
		ind := app.Server.Funding.Indicators["directory.convergence"]
		if ind == nil {
			t.Fatal("no provider for directory.convergence")
		}
		for _, node := range []int64{g2.ID, chv.ID} {
			v, ok, err := ind(ctx, node, funding.Call{})
			m, _ := v.(map[string]any)
			if err != nil || !ok || m["target"] != "trust" || m["milestones"] != 2 || m["milestones_done"] != 1 || m["members"] != 2 || m["audited"] != 1 || m["level"] != 4 {
				t.Errorf("the indicator for %d: %v %v %v", node, v, ok, err)
			}
		}
		if v, ok, err := ind(ctx, app.Org(t, "Clinique Saint-Yves-des-Prés").ID, funding.Call{}); ok || v != nil || err != nil {
			t.Errorf("the indicator of an establishment outside a GHT: %v %v %v", v, ok, err)
		}

		// The page: reached from the GHT's directory page, with the trajectory
		// chart; a refused form shows its error and stores nothing.
		c := app.Login(t, "admin@demo.care.test")
		if body := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/annuaire?org=%d", g2.ID))); !strings.Contains(body, `id="convergence-link"`) {
			t.Errorf("the GHT's directory page has no link to the convergence")
		}
		if body := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/annuaire?org=%d", chv.ID))); strings.Contains(body, `id="convergence-link"`) {
			t.Errorf("an establishment's directory page links to a convergence")
		}
		page := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/annuaire/noeud/%d/convergence", g2.ID)))
		for _, want := range []string{"<svg", "Des annuaires reliés par des relations d", "Cartographie des annuaires", "1 sur 2"} {
			if !strings.Contains(page, want) {
				t.Errorf("the convergence page lacks %q", want)
			}
		}
		resp := app.PostForm(t, c, fmt.Sprintf("/annuaire/noeud/%d/convergence", g2.ID), url.Values{"target": {"single"},
			"title": {"Annuaire commun", ""}, "due_on": {"2027-13-45", ""}, "owner": {"", ""}})
		if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "La date du jalon n° 1") {
			t.Errorf("the refused form: %d", resp.StatusCode)
		}
		if _, after, _ := read(admin); after != before {
			t.Errorf("the refused form changed the plan: %s", after)
		}
		resp = app.PostForm(t, c, fmt.Sprintf("/annuaire/noeud/%d/convergence", g2.ID), url.Values{"target": {"single"},
			"title": {"Annuaire commun", ""}, "due_on": {"2027-12-31", ""}, "owner": {"DSI", ""}, "done": {"0"}})
		if resp.StatusCode != 303 {
			t.Fatalf("the form: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if now, _, _ := read(admin); now.Target == nil || *now.Target != "single" || len(now.Milestones) != 1 || !now.Milestones[0].Done {
			t.Errorf("the plan from the form: %+v", now)
		}
	})
}
