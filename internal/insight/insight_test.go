package insight_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/server"
	"care/internal/testkit"
)

type line struct {
	ID               int64                                  `json:"id"`
	Name             string                                 `json:"name"`
	Structures       int64                                  `json:"structures"`
	ExerciseWith     *int64                                 `json:"exercise_this_year"`
	Maturity         map[string]int64                       `json:"maturity"`
	Directory        map[string]int64                       `json:"directory"`
	Candidatures     map[string]int64                       `json:"candidatures"`
	ObjectivesByCall map[string]map[string]map[string]int64 `json:"objectives_by_call"`
	Requested        *int64                                 `json:"amount_requested"`
}

type insightJSON struct {
	Org         int64    `json:"org"`
	Level       string   `json:"level"`
	Year        int      `json:"year"`
	Total       line     `json:"total"`
	Children    []line   `json:"children"`
	Unavailable []string `json:"unavailable"`
}

// The programme's view adds up, for the node and each child, what the database
// holds under it — counted here again by SQL — and a referent never reads another
// region, not even in the nation's totals.
func TestProgrammeView(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		ctx := context.Background()
		count := func(query string, args ...any) (n int64) {
			t.Helper()
			if err := d.Read.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		root, r1, r2 := app.Org(t, "national"), app.Org(t, "Région Armor-Océan (fictive)"), app.Org(t, "Région Monts-et-Volcans (fictive)")
		ght := app.Org(t, "GHT Littoral Émeraude")
		get := func(token string, node int64, query string) (insightJSON, int) {
			var out insightJSON
			resp := app.API(t, token, "GET", fmt.Sprintf("/api/v1/insight/%d%s", node, query), nil, &out)
			return out, resp.StatusCode
		}
		pilot := app.Token(t, "pilote@demo.care.test")
		nation, status := get(pilot, root.ID, "")
		if status != 200 || nation.Level != "national" || nation.Year != time.Now().Year() {
			t.Fatalf("national view: %d %+v", status, nation)
		}
		if want := count("SELECT COUNT(*) FROM orgs WHERE level = 'legal_entity' AND archived_at IS NULL"); nation.Total.Structures != want {
			t.Errorf("nation: %d structures, the tree holds %d", nation.Total.Structures, want)
		}
		if want := count("SELECT COUNT(*) FROM assessments a JOIN questionnaires q ON q.id = a.questionnaire_id WHERE a.latest AND q.slug = 'questionnaire-maturite'"); sum(nation.Total.Maturity) != want || want == 0 {
			t.Errorf("nation: maturity %v, %d latest assessments", nation.Total.Maturity, want)
		}
		if want := count("SELECT COUNT(*) FROM directory_audits WHERE latest"); sum(nation.Total.Directory) != want || want == 0 {
			t.Errorf("nation: directory %v, %d latest audits", nation.Total.Directory, want)
		}
		if n := count("SELECT COUNT(*) FROM funding_candidatures"); sum(nation.Total.Candidatures) != n || n == 0 {
			t.Errorf("nation: candidatures %v, the database %d", nation.Total.Candidatures, n)
		}
		if len(nation.Children) != 2 || nation.Children[0].ID != r1.ID && nation.Children[1].ID != r1.ID {
			t.Errorf("nation's rows: %+v", nation.Children)
		}
		if want := count("SELECT COALESCE(SUM(amount_requested), 0) FROM funding_candidatures"); nation.Total.Requested == nil || *nation.Total.Requested != want || want == 0 {
			t.Errorf("nation: amount requested %v, the candidatures %d", nation.Total.Requested, want)
		}
		var objectives int64
		for _, byCode := range nation.Total.ObjectivesByCall {
			for _, states := range byCode {
				objectives += sum(states)
			}
		}
		if want := count("SELECT COUNT(*) FROM funding_objective_states"); objectives != want || want == 0 {
			t.Errorf("nation: %d declared objectives, the database %d", objectives, want)
		}
		if len(nation.Unavailable) != 0 {
			t.Errorf("every figure has its source: %v unavailable", nation.Unavailable)
		}

		ars := app.Token(t, "ars@demo.care.test")
		region, status := get(ars, r1.ID, "")
		if want := count("SELECT COUNT(*) FROM orgs WHERE level = 'legal_entity' AND path LIKE $1", r1.Path+"%"); status != 200 || region.Total.Structures != want {
			t.Fatalf("region r1: %d, %d structures for %d", status, region.Total.Structures, want)
		}
		// The region's rows: its GHT, and one row for the establishments outside any GHT.
		var names []string
		for _, c := range region.Children {
			names = append(names, c.Name)
		}
		if len(region.Children) != 2 || region.Children[0].ID != ght.ID || region.Children[1].ID != -1 || region.Children[1].Structures != 1 {
			t.Errorf("region r1's rows: %v %+v", names, region.Children)
		}
		for _, node := range []int64{root.ID, r2.ID} {
			if _, status := get(ars, node, ""); status != 404 {
				t.Errorf("the ARS of r1 reads node %d: %d", node, status)
			}
		}
		if _, status := get(pilot, app.Org(t, "CHU de Port-Émeraude").ID, ""); status != 422 {
			t.Errorf("a view of an establishment: %d, want 422", status)
		}
		for _, y := range []string{"?year=1999", "?year=abc", fmt.Sprintf("?year=%d", time.Now().Year()+2)} {
			if _, status := get(pilot, root.ID, y); status != 422 {
				t.Errorf("year %s: %d", y, status)
			}
		}
		// A GHT's rows are its members.
		g, _ := get(app.Token(t, "rssi.ght@demo.care.test"), ght.ID, "")
		if want := count("SELECT COUNT(*) FROM orgs WHERE parent_id = $1 AND level = 'legal_entity'", ght.ID); int64(len(g.Children)) != want {
			t.Errorf("GHT rows: %d, %d members", len(g.Children), want)
		}

		// The page and its exports, as the ARS.
		c := app.Login(t, "ars@demo.care.test")
		page := testkit.BodyOf(app.Get(t, c, "/programme"))
		if !strings.Contains(page, "GHT Littoral Émeraude") || !strings.Contains(page, "Établissements hors GHT") || strings.Contains(page, "Monts-et-Volcans") {
			t.Errorf("the ARS's programme page:\n%.3000s", page)
		}
		csv := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/programme/export.csv?org=%d", r1.ID)))
		if !strings.HasPrefix(csv, "\ufeffStructure;") || !strings.Contains(csv, "GHT Littoral Émeraude;") || !strings.Contains(csv, "Région Armor-Océan (fictive);") {
			t.Errorf("CSV export:\n%s", csv)
		}
		resp := app.Get(t, c, fmt.Sprintf("/programme/export.xlsx?org=%d", r1.ID))
		rows := 0
		for _, err := range docs.ReadXLSX([]byte(testkit.BodyOf(resp)), docs.SheetOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			rows++
		}
		if rows != 4 { // header, the GHT, outside any GHT, the region's total
			t.Errorf("XLSX export: %d rows", rows)
		}
		if resp := app.Get(t, c, fmt.Sprintf("/programme/export.csv?org=%d", r2.ID)); resp.StatusCode != 404 {
			t.Errorf("the ARS exports another region: %d", resp.StatusCode)
		}
	})
}

// On the national dataset the national page draws the 18 regions, overseas
// ones apart, each leading to its region's view.
func TestRegionMap(t *testing.T) {
	app := testkit.NewAppSeeded(t, testkit.SQLite(t), func(ctx context.Context, d *db.DB, srv *server.Server) error {
		_, err := demo.National(ctx, d, demo.Services{Orgs: srv.Orgs, Accounts: srv.Accounts, Maturity: srv.Maturity, Exercises: srv.Exercises, Funding: srv.Funding},
			demo.Scale{Health: 40, MedicoSocial: 80, GHT: 18, Years: 2}, time.Now().UTC())
		return err
	})
	c := app.Login(t, "pilote@national.care.test")
	page := testkit.BodyOf(app.Get(t, c, "/programme"))
	if n := strings.Count(page, `data-region="`); n != 18 {
		t.Errorf("%d regions on the map", n)
	}
	var bretagne int64
	if err := app.DB.Read.QueryRow("SELECT id FROM orgs WHERE code = '53' AND level = 'region'").Scan(&bretagne); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, fmt.Sprintf(`href="/programme?org=%d&amp;annee=%d"><g class="tile`, bretagne, time.Now().Year())) || !strings.Contains(page, `data-region="RE"`) {
		t.Errorf("the map does not lead to Bretagne's view or lacks La Réunion:\n%.4000s", page)
	}
	region := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/programme?org=%d", bretagne)))
	if strings.Contains(region, `id="region-map"`) || !strings.Contains(region, `<h2 id="h-total">Bretagne — `) {
		t.Errorf("Bretagne's view:\n%s", region[strings.Index(region, "<main"):])
	}
}

func sum(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
