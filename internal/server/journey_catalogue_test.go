package server_test

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"care/internal/maturity"
	"care/internal/testkit"
)

// The catalogue theme expected for each maturity theme (server.catalogueThemeOf
// read as a specification).
var expectedTheme = map[string]string{
	"gouvernance": "prevenir", "identites-acces": "controler", "postes-serveurs": "detecter",
	"infrastructure-sauvegardes": "reconstruire", "sensibilisation": "prevenir", "reponse-incidents": "reagir",
}

// The demo CHU is recommended offers for the weakest theme of its latest
// maturity assessment first, each with its reason; the offers are open to an
// ES, national or of its region, and in a needed theme.
func TestRecommendationsFollowTheWeakestTheme(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude")
		ctx := testkit.As(t, app, "rssi@demo.care.test")
		list, _, err := app.Server.Maturity.List(ctx, maturity.Filter{OrgID: chu.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list, func(a maturity.Assessment) bool { return a.Kind == maturity.KindMaturity })
		if i < 0 {
			t.Fatal("the demo CHU has no maturity assessment")
		}
		sheet, err := app.Server.Maturity.Open(ctx, list[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		themes := slices.Clone(sheet.Result.Themes)
		themes = slices.DeleteFunc(themes, func(t maturity.ThemeScore) bool { return t.Percent == nil })
		weakest := slices.MinFunc(themes, func(a, b maturity.ThemeScore) int { return cmp.Compare(*a.Percent, *b.Percent) })

		var rec struct {
			Org   int64 `json:"org"`
			Needs []struct {
				Theme  string `json:"theme"`
				Reason string `json:"reason"`
			} `json:"needs"`
			Offers []struct {
				Offer struct {
					ID       int64    `json:"id"`
					Themes   []string `json:"themes"`
					Audience []string `json:"audience"`
					Region   *string  `json:"region"`
				} `json:"offer"`
				Because []struct {
					Theme string `json:"theme"`
				} `json:"because"`
			} `json:"offers"`
		}
		token := app.Token(t, "rssi@demo.care.test")
		if resp := app.API(t, token, "GET", fmt.Sprintf("/api/v1/orgs/%d/recommendations", chu.ID), nil, &rec); resp.StatusCode != 200 {
			t.Fatalf("recommendations: %d", resp.StatusCode)
		}
		if len(rec.Needs) == 0 || rec.Needs[0].Theme != expectedTheme[weakest.ID] || !strings.Contains(rec.Needs[0].Reason, weakest.Title) {
			t.Fatalf("weakest theme %s (%s, %.0f %%): needs %+v", weakest.ID, weakest.Title, *weakest.Percent, rec.Needs)
		}
		if len(rec.Offers) == 0 {
			t.Fatal("no offer recommended")
		}
		first := false
		for _, o := range rec.Offers {
			if len(o.Because) == 0 || !slices.Contains(o.Offer.Audience, "es") || (o.Offer.Region != nil && *o.Offer.Region != "R01") {
				t.Errorf("offer %+v", o)
			}
			for _, b := range o.Because {
				if !slices.Contains(o.Offer.Themes, b.Theme) {
					t.Errorf("offer %d recommended for %s, not its theme", o.Offer.ID, b.Theme)
				}
				first = first || b.Theme == rec.Needs[0].Theme
			}
		}
		if !first {
			t.Error("no offer answers the weakest theme")
		}
		if resp := app.API(t, app.Token(t, "lecteur@demo.care.test"), "GET", fmt.Sprintf("/api/v1/orgs/%d/recommendations", chu.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("another establishment's reader: %d", resp.StatusCode)
		}

		// The page says why.
		c := app.Login(t, "rssi@demo.care.test")
		page := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/offres/recommandations?org=%d", chu.ID)))
		if !strings.Contains(page, "Recommandée parce que") || !strings.Contains(page, weakest.Title) {
			t.Errorf("the page does not explain the recommendations")
		}
	})
}

// The pages: the menu's "Offres", the search ignoring accents, a GRADeS adding
// an offer for its region, the awareness form refusing more trained than staff.
func TestCataloguePages(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	chu := app.Org(t, "CHU de Port-Émeraude")
	c := app.Login(t, "rssi@demo.care.test")
	page := testkit.BodyOf(app.Get(t, c, "/offres?q="+url.QueryEscape("MONSERVICESÉCURISÉ")))
	if !strings.Contains(page, `href="/offres"`) || !strings.Contains(page, ">Offres<") || !strings.Contains(page, "MonServiceSécurisé — sécuriser") || !strings.Contains(page, "1 offre") {
		t.Errorf("catalogue page:\n%s", page)
	}
	if strings.Contains(page, `action="/offres/import"`) || strings.Contains(page, `id="h-new"`) {
		t.Error("an establishment is offered the import or the new-offer form")
	}

	g := app.Login(t, "grades@demo.care.test")
	form := url.Values{"title": {"Permanence régionale"}, "provider": {"GRADeS Armor-Océan"}, "provider_type": {"grades"}, "themes": {"reagir", "prevenir"},
		"audience": {"es"}, "region": {"R01"}, "cost": {"membership"}, "url": {"https://example.org/permanence"}, "description": {"Appui aux établissements."}}
	resp := app.PostForm(t, g, "/offres", form)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/offres/") {
		t.Fatalf("GRADeS adding an offer: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	form.Set("region", "R02")
	if resp := app.PostForm(t, g, "/offres", form); resp.StatusCode != 404 {
		t.Errorf("GRADeS adding an offer in R02: %d", resp.StatusCode)
	}
	form.Set("region", "R01")
	form["themes"] = []string{"guerir"}
	if resp := app.PostForm(t, g, "/offres", form); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "Thème inconnu") {
		t.Errorf("unknown theme: %d", resp.StatusCode)
	}

	aw := fmt.Sprintf("/sensibilisation?org=%d", chu.ID)
	page = testkit.BodyOf(app.Get(t, c, aw))
	if !strings.Contains(page, "#TousCybervigilants") || !strings.Contains(page, "Cybermois") || !strings.Contains(page, `id="rate">63 %`) || !strings.Contains(page, "24 pts") {
		t.Errorf("awareness page:\n%s", page)
	}
	resp = app.PostForm(t, c, aw, url.Values{"year": {"2026"}, "staff_soignants": {"100"}, "trained_soignants": {"120"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "il ne peut y en avoir plus que l&#39;effectif") {
		t.Errorf("more trained than staff: %d", resp.StatusCode)
	}
	resp = app.PostForm(t, c, aw, url.Values{"year": {"2026"}, "staff_soignants": {"100"}, "trained_soignants": {"80"}})
	if resp.StatusCode != 303 {
		t.Errorf("counts of 2026: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if page := testkit.BodyOf(app.Get(t, c, aw)); !strings.Contains(page, `id="rate">80 %`) {
		t.Error("the 2026 counts are not the latest rate")
	}
}
