package exercise_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"care/internal/org"
	"care/internal/testkit"
)

type yearlyAnswer struct {
	Year         int `json:"year"`
	Total        int `json:"total"`
	WithExercise int `json:"with_exercise"`
	ByCategory   []struct {
		Category     string `json:"category"`
		Total        int    `json:"total"`
		WithExercise int    `json:"with_exercise"`
	} `json:"by_category"`
	Missing []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Category string `json:"category"`
	} `json:"missing"`
	MissingTotal int `json:"missing_total"`
}

// finishedExercise runs an exercise of node org to its end and dates its end at.
func finishedExercise(t *testing.T, app *testkit.App, ctx context.Context, org int64, at time.Time) {
	t.Helper()
	e, err := app.Server.Exercises.Create(ctx, org, "kit-debutant", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"start", "finish"} {
		if err := app.Server.Exercises.Step(ctx, e.ID, step); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.DB.Write.ExecContext(ctx, "UPDATE exercises SET finished_at = $1 WHERE id = $2", at.UTC(), e.ID); err != nil {
		t.Fatal(err)
	}
}

// The yearly view (instructions 2022-135 and SHFDS-FSSI-2023-15: every health
// establishment runs a crisis exercise each year) counts the health legal
// entities of a node's subtree with an exercise of the entity or of one of its
// sites finished in the calendar year, by candidate category, and lists the
// missing; a regional referent sees their region only.
func TestYearly(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		admin := testkit.As(t, app, "admin@demo.care.test")
		year := time.Now().UTC().Year()
		r1 := app.Org(t, "Région Armor-Océan (fictive)")
		// A public hospital outside any GHT with a site, whose exercise (on the
		// site) finished on the last evening of last year.
		hl, err := app.Server.Orgs.Create(admin, org.Org{ParentID: r1.ID, Level: org.LegalEntity, Name: "Hôpital local de Kerbrat", FINESS: org.CompleteFINESS("35009901"), Kind: org.ES, Category: org.Public})
		if err != nil {
			t.Fatal(err)
		}
		site, err := app.Server.Orgs.Create(admin, org.Org{ParentID: hl.ID, Level: org.Site, Name: "Hôpital local de Kerbrat — site du port", FINESS: org.CompleteFINESS("35009902"), Kind: org.ES, Category: org.Public})
		if err != nil {
			t.Fatal(err)
		}
		finishedExercise(t, app, admin, site.ID, time.Date(year-1, 12, 31, 23, 30, 0, 0, time.UTC))
		// The clinic's exercise is running: not finished, not counted. The
		// EHPAD's (medico-social) finished, but medico-social structures are not counted.
		clinic := app.Org(t, "Clinique des Quatre-Vents")
		running, err := app.Server.Exercises.Create(admin, clinic.ID, "kit-debutant", 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Server.Exercises.Step(admin, running.ID, "start"); err != nil {
			t.Fatal(err)
		}
		finishedExercise(t, app, admin, app.Org(t, "EHPAD Les Glycines").ID, time.Now())

		get := func(token string, node int64, query string) (yearlyAnswer, int) {
			var out yearlyAnswer
			resp := app.API(t, token, "GET", fmt.Sprintf("/api/v1/exercises/yearly?org=%d%s", node, query), nil, nil)
			if resp.StatusCode == 200 {
				app.API(t, token, "GET", fmt.Sprintf("/api/v1/exercises/yearly?org=%d%s", node, query), nil, &out)
			}
			return out, resp.StatusCode
		}
		ars := app.Token(t, "ars@demo.care.test")
		// The demo region: the CHU and the CH (GHT members) finished theirs this
		// year; the clinic and the new hospital did not.
		y, status := get(ars, r1.ID, fmt.Sprintf("&year=%d", year))
		if status != 200 || y.Year != year || y.Total != 4 || y.WithExercise != 2 || y.MissingTotal != 2 {
			t.Fatalf("the region's view: %d %+v", status, y)
		}
		cats := map[string][2]int{}
		for _, c := range y.ByCategory {
			cats[c.Category] = [2]int{c.WithExercise, c.Total}
		}
		want := map[string][2]int{"ght": {2, 2}, "public_hors_ght": {0, 1}, "prive_non_lucratif": {0, 0}, "prive_lucratif": {0, 1}}
		if fmt.Sprint(cats) != fmt.Sprint(want) || len(y.ByCategory) != 4 || y.ByCategory[0].Category != "ght" {
			t.Errorf("by category: %v", y.ByCategory)
		}
		names := func(y yearlyAnswer) []string {
			var out []string
			for _, m := range y.Missing {
				out = append(out, m.Name+"/"+m.Category)
			}
			return out
		}
		if got := names(y); !slices.Equal(got, []string{"Clinique des Quatre-Vents/prive_lucratif", "Hôpital local de Kerbrat/public_hors_ght"}) {
			t.Errorf("the missing: %v", got)
		}
		if page, _ := get(ars, r1.ID, "&limit=1&offset=1"); !slices.Equal(names(page), []string{"Hôpital local de Kerbrat/public_hors_ght"}) || page.MissingTotal != 2 || page.Year != year {
			t.Errorf("the second page of the missing (year by default): %+v", page)
		}
		// Last year: only the site's exercise of 31 December.
		if last, _ := get(ars, r1.ID, fmt.Sprintf("&year=%d", year-1)); last.Total != 4 || last.WithExercise != 1 || slices.Contains(names(last), "Hôpital local de Kerbrat/public_hors_ght") {
			t.Errorf("last year: %+v", last)
		}
		// The nation counts the other region's five health establishments too.
		if nat, status := get(app.Token(t, "pilote@demo.care.test"), app.Org(t, "national").ID, ""); status != 200 || nat.Total != 7 || nat.WithExercise != 2 {
			t.Errorf("the national view: %d %+v", status, nat)
		}
		// The GHT sees its two members.
		if ght, status := get(app.Token(t, "rssi.ght@demo.care.test"), app.Org(t, "GHT Littoral Émeraude").ID, ""); status != 200 || ght.Total != 2 || ght.WithExercise != 2 || len(ght.Missing) != 0 {
			t.Errorf("the GHT's view: %d %+v", status, ght)
		}
		// The referent of Armor-Océan reads neither the nation nor the other region.
		for _, node := range []string{"national", "Région Monts-et-Volcans (fictive)", "GHT Volcans et Vallées"} {
			if _, status := get(ars, app.Org(t, node).ID, ""); status != 404 {
				t.Errorf("the ARS reads the view of %s: %d", node, status)
			}
		}
		if _, status := get(app.Token(t, "lecteur@demo.care.test"), app.Org(t, "GHT Littoral Émeraude").ID, ""); status != 404 {
			t.Errorf("the EHPAD's reader reads its GHT's view: %d", status)
		}
		if _, status := get(ars, clinic.ID, ""); status != 422 {
			t.Errorf("the view of an establishment: %d", status)
		}
		if _, status := get(ars, r1.ID, "&year=deux-mille"); status != 400 {
			t.Errorf("a year that is not one: %d", status)
		}

		// The exports hold the missing, and nothing of the other region.
		c := app.Login(t, "ars@demo.care.test")
		csv := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/exercices/annuel.csv?org=%d", r1.ID)))
		for _, s := range []string{"Clinique des Quatre-Vents;", "Hôpital local de Kerbrat;", "Établissement public membre d'un GHT;2;2;0"} {
			if !strings.Contains(csv, s) {
				t.Errorf("the CSV lacks %q:\n%s", s, csv)
			}
		}
		if strings.Contains(csv, "Saint-Yves") || strings.Contains(csv, "Port-Émeraude;") {
			t.Errorf("the CSV lists what it should not:\n%s", csv)
		}
		resp := app.Get(t, c, fmt.Sprintf("/exercices/annuel.xlsx?org=%d&year=%d", r1.ID, year))
		book, err := excelize.OpenReader(bytes.NewReader([]byte(testkit.BodyOf(resp))))
		if err != nil {
			t.Fatalf("the XLSX: %d %v", resp.StatusCode, err)
		}
		rows, err := book.GetRows("Sans exercice")
		if err != nil || len(rows) != 3 || rows[1][0] != "Clinique des Quatre-Vents" || rows[2][0] != "Hôpital local de Kerbrat" {
			t.Errorf("the XLSX's missing: %v %v", rows, err)
		}
		// The page, reached from the exercises page.
		list := testkit.BodyOf(app.Get(t, c, "/exercices"))
		if !strings.Contains(list, `id="yearly-link"`) {
			t.Errorf("the exercises page offers the ARS no yearly view")
		}
		page := testkit.BodyOf(app.Get(t, c, "/exercices/annuel?"+url.Values{"org": {fmt.Sprint(r1.ID)}}.Encode()))
		if !strings.Contains(page, "2 sur 4") || !strings.Contains(page, "Hôpital local de Kerbrat") {
			t.Errorf("the yearly page:\n%s", page)
		}
		if list := testkit.BodyOf(app.Get(t, app.Login(t, "lecteur@demo.care.test"), "/exercices")); strings.Contains(list, `id="yearly-link"`) {
			t.Errorf("the EHPAD's reader is offered the yearly view")
		}
	})
}
