package continuity_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"care/internal/authz"
	"care/internal/continuity"
	"care/internal/org"
	"care/internal/testkit"
)

type coverageJSON struct {
	Scope    string  `json:"scope"`
	BIA      float64 `json:"bia_percent"`
	Entities []struct {
		Name      string `json:"name"`
		BIA       bool   `json:"bia"`
		Perimeter struct {
			Care, Admin, Platform string
			Met                   bool
		} `json:"minimum_perimeter"`
	} `json:"entities"`
}

func (c coverageJSON) entity(t *testing.T, name string) (bia bool, platform string) {
	t.Helper()
	for _, e := range c.Entities {
		if e.Name == name {
			return e.BIA, e.Perimeter.Platform
		}
	}
	t.Fatalf("no entity %q in %+v", name, c)
	return false, ""
}

// ANS Domaine 2, O1.C: BIAs and PCRAs per legal entity (FINESS EJ) of a GHT, or per
// geographic establishment (FINESS EG) for a candidate outside a GHT, at least on
// one care service with a major patient impact, the most critical administrative
// process and one technical platform "s'ils existent", for 66 % of combined
// activity. Each entity is judged on its own BIAs.
func TestCoveragePerEntity(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ght, chu, ch := app.Org(t, "GHT-LE"), app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
		rssi := app.Token(t, "rssi.ght@demo.care.test")
		read := func(id int64, token ...string) coverageJSON {
			var c coverageJSON
			if len(token) == 0 {
				token = []string{rssi}
			}
			if resp := app.API(t, token[0], "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/coverage", id), nil, &c); resp.StatusCode != 200 {
				t.Fatalf("coverage: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
			return c
		}
		// The CH has BIAs of its emergencies, consultations and payroll but none of
		// a technical platform: it is not covered (one BIA of any activity was enough).
		c := read(ght.ID)
		if bia, platform := c.entity(t, ch.Name); bia || platform != "missing" || c.Scope != continuity.ScopeLegalEntities {
			t.Errorf("the CH without a platform BIA is covered: %+v", c)
		}
		if bia, _ := c.entity(t, chu.Name); !bia || c.BIA < 61.9 || c.BIA > 62.1 {
			t.Errorf("BIA coverage of the GHT: %.1f %%, want the CHU's 62 %%: %+v", c.BIA, c)
		}

		// The CH records that it has no technical platform: it is not failed for it.
		dsi := app.Login(t, "dsi@demo.care.test")
		frame := fmt.Sprintf("/continuite/noeud/%d/cadrage", ch.ID)
		if resp := app.PostForm(t, dsi, frame, url.Values{"rpcra_name": {"Noa"}, "absent": {"platform", "kitchen"}}); resp.StatusCode != 422 {
			t.Errorf("an unknown perimeter item: %d", resp.StatusCode)
		}
		if _, platform := read(ght.ID).entity(t, ch.Name); platform != "missing" {
			t.Error("a refused framing recorded the absence")
		}
		if resp := app.PostForm(t, dsi, frame, url.Values{"rpcra_name": {"Noa"}, "absent": {"platform"}}); resp.StatusCode != 303 {
			t.Fatalf("framing: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		c = read(ght.ID)
		if bia, platform := c.entity(t, ch.Name); !bia || platform != "absent" || c.BIA < 89.9 || c.BIA > 90.1 {
			t.Errorf("the CH without a platform is still failed: %+v", c)
		}
		// The framing tab records the absence; the activities tab shows the entity's state.
		page := testkit.BodyOf(app.Get(t, dsi, fmt.Sprintf("/continuite?org=%d&onglet=cadrage", ch.ID))) +
			testkit.BodyOf(app.Get(t, dsi, fmt.Sprintf("/continuite?org=%d&onglet=activites", ch.ID)))
		if !contains(page, `value="platform" checked`, "n&#39;existe pas") {
			t.Errorf("the page does not show the recorded absence")
		}

		// A legal entity of a GHT is one entity, whatever its sites.
		if c := read(chu.ID); c.Scope != continuity.ScopeSelf || len(c.Entities) != 1 {
			t.Errorf("the CHU of a GHT counted by site: %+v", c)
		}

		// Outside a GHT, the geographic establishments count, each on its own
		// BIAs plus those of the legal entity above it (its payroll).
		ctx := authz.WithSubject(t.Context(), app.Root(t))
		clinic := app.Org(t, "Clinique des Quatre-Vents")
		site := func(name, finess string, weight float64) org.Org {
			o, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: clinic.ID, Level: org.Site, Name: name, FINESS: org.CompleteFINESS(finess), Kind: org.ES, Category: org.PriveLucratif, ActivityWeight: weight})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		a, b := site("Quatre-Vents Est", "29000402", 0.6), site("Quatre-Vents Ouest", "29000403", 0.4)
		s := app.Server.Continuity
		assess := func(node int64, catalogue string, imp continuity.Impacts) {
			act, err := s.CreateActivity(ctx, continuity.NewActivity{OrgID: node, CatalogueID: catalogue})
			if err == nil {
				_, err = s.SaveBIA(ctx, act.ID, continuity.BIA{Impacts: imp})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		major := continuity.Impacts{"patient_safety": {"1h": 2, "4h": 4}}
		assess(a.ID, "urgences", major)
		assess(a.ID, "laboratoire", major)
		assess(b.ID, "urgences", major)
		assess(clinic.ID, "paie", continuity.Impacts{"financial": {"1w": 4}})
		c = read(clinic.ID, app.Token(t, "admin@demo.care.test"))
		if c.Scope != continuity.ScopeSites || len(c.Entities) != 2 || c.BIA < 59.9 || c.BIA > 60.1 {
			t.Errorf("sites of a candidate outside a GHT: %+v", c)
		}
		if bia, _ := c.entity(t, a.Name); !bia {
			t.Errorf("the eastern site with the legal entity's payroll is not covered: %+v", c)
		}
		if bia, platform := c.entity(t, b.Name); bia || platform != "missing" {
			t.Errorf("the western site without a platform is covered: %+v", c)
		}
	})
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// O1.D counts a PCA tested in a field exercise during the operational phase of the
// call, which the service takes from its configuration (the programme content),
// else Domaine 2's window; restore tests count for O4 only.
func TestTestedInTheOperationalPhase(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ctx := testkit.As(t, app, "pcra@demo.care.test")
		chu, nord := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "CHU de Port-Émeraude — Hôpital Nord")
		day := func(s string) *time.Time {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Fatal(err)
			}
			return &d
		}
		s := &continuity.Service{DB: app.DB, OperationalPhase: func(context.Context, time.Time) (time.Time, time.Time, bool, error) {
			return *day("2026-01-01"), *day("2026-06-30"), true, nil
		}}
		tested := func() continuity.Coverage {
			c, err := s.CoverageFor(ctx, chu.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// The demo's tabletop exercise two months ago does not test the PCA in the field.
		if c := tested(); c.Tested != 0 || c.O4 {
			t.Fatalf("a tabletop exercise counts for O1.D or O4: %+v", c)
		}
		add := func(kind, done string) {
			if _, err := s.AddTest(ctx, continuity.PlanTest{OrgID: nord.ID, Title: "Test " + kind, Kind: kind, DoneOn: day(done)}); err != nil {
				t.Fatal(err)
			}
		}
		add(continuity.TestTechnical, "2026-03-01")
		if c := tested(); c.Tested != 0 || !c.O4 {
			t.Errorf("a restore test in the phase: O1.D %.0f %%, O4 %v; want 0 and yes", c.Tested, c.O4)
		}
		add(continuity.TestExercise, "2025-12-15") // before the phase
		if c := tested(); c.Tested != 0 {
			t.Errorf("a field exercise before the phase counts: %+v", c)
		}
		add(continuity.TestExercise, "2026-04-02") // on a site of the CHU, in the phase
		if c := tested(); c.Tested != 100 || !c.Phase.Known || c.Phase.Default {
			t.Errorf("a field exercise in the phase on a site of the CHU does not count: %+v", c)
		}
		s.OperationalPhase = func(context.Context, time.Time) (time.Time, time.Time, bool, error) {
			return time.Time{}, time.Time{}, false, nil
		}
		if c := tested(); c.Tested != 0 || c.O4 {
			t.Errorf("tests count while the phase is unknown: %+v", c)
		}

		// The server takes the window from the programme content in force: the
		// Domaine 2 call's operational phase, from the arrêté's publication to now
		// while its end is not published.
		page := testkit.BodyOf(app.Get(t, app.Login(t, "pcra@demo.care.test"), fmt.Sprintf("/continuite?org=%d", chu.ID)))
		if !contains(page, `id="phase"`, "du 18/01/2025 au "+time.Now().Format("02/01/2006")) {
			t.Errorf("the page does not show the operational phase")
		}
	})
}
