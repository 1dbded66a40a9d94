package catalogue_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"care/internal/catalogue"
	"care/internal/platform/web"
	"care/internal/testkit"
)

type listJSON struct {
	Items  []catalogue.OfferJSON `json:"items"`
	Total  int                   `json:"total"`
	Limit  int                   `json:"limit"`
	Offset int                   `json:"offset"`
	Facets struct {
		Theme        map[string]int `json:"theme"`
		Audience     map[string]int `json:"audience"`
		ProviderType map[string]int `json:"provider_type"`
	} `json:"facets"`
}

// problemJSON is a problem document as the API answers it.
type problemJSON = web.ProblemDoc

func newOffer(region any) map[string]any {
	return map[string]any{"title": "Appui régional", "provider": "GRADeS de test", "provider_type": "grades", "themes": []string{"reagir"},
		"audience": []string{"es", "essms"}, "region": region, "cost": "free", "url": "https://example.org/appui", "description": "Astreinte régionale."}
}

// The API's shape, and who may write: a GRADeS adds offers for its own region
// only (another region reads as absent, a national offer is forbidden), an ARS
// referent adds none, the national pilot adds anywhere and imports. Regional
// offers are readable by everyone, other regions included.
func TestOffersAPIAndRegions(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		grades, ars, pilot, rssi := app.Token(t, "grades@demo.care.test"), app.Token(t, "ars@demo.care.test"), app.Token(t, "pilote@demo.care.test"), app.Token(t, "rssi@demo.care.test")

		var list listJSON
		if resp := app.API(t, rssi, "GET", "/api/v1/offers?theme=reagir&limit=3&q="+url.QueryEscape("CERT SANTÉ"), nil, &list); resp.StatusCode != 200 {
			t.Fatalf("list: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if list.Limit != 3 || len(list.Items) != min(3, list.Total) || list.Total < 2 || list.Facets.Theme["reagir"] != list.Total || list.Facets.ProviderType["cert_sante"] < 2 {
			t.Fatalf("list: %+v", list)
		}
		first := list.Items[0]
		if first.ID == 0 || first.Title == "" || first.Provider == "" || first.URL == "" || !slices.Contains(first.Themes, "reagir") || first.Region != nil {
			t.Errorf("item: %+v", first)
		}
		var p problemJSON
		if resp := app.API(t, rssi, "GET", "/api/v1/offers?theme=guerir", nil, &p); resp.StatusCode != 400 {
			t.Errorf("unknown theme: %d", resp.StatusCode)
		}

		for _, c := range []struct {
			who    string
			token  string
			region any
			status int
		}{
			{"GRADeS, another region", grades, "R02", 404},
			{"GRADeS, unknown region", grades, "R99", 404},
			{"GRADeS, national", grades, nil, 403},
			{"ARS referent, its region", ars, "R01", 403},
			{"establishment", rssi, "R01", 404},
			{"pilot, unknown region", pilot, "R99", 422},
		} {
			if resp := app.API(t, c.token, "POST", "/api/v1/offers", newOffer(c.region), nil); resp.StatusCode != c.status {
				t.Errorf("%s: %d, want %d", c.who, resp.StatusCode, c.status)
			}
		}
		var own, national catalogue.OfferJSON
		if resp := app.API(t, grades, "POST", "/api/v1/offers", newOffer("R01"), &own); resp.StatusCode != 201 || own.Region == nil || *own.Region != "R01" {
			t.Fatalf("GRADeS in its region: %d %+v", resp.StatusCode, own)
		}
		if resp := app.API(t, pilot, "POST", "/api/v1/offers", newOffer("R02"), &national); resp.StatusCode != 201 {
			t.Fatalf("pilot in R02: %d", resp.StatusCode)
		}
		// The GRADeS neither changes another region's offer nor moves its own away.
		if resp := app.API(t, grades, "PUT", fmt.Sprintf("/api/v1/offers/%d", national.ID), newOffer("R01"), nil); resp.StatusCode != 404 {
			t.Errorf("GRADeS changing an R02 offer: %d", resp.StatusCode)
		}
		if resp := app.API(t, grades, "PUT", fmt.Sprintf("/api/v1/offers/%d", own.ID), newOffer("R02"), nil); resp.StatusCode != 404 {
			t.Errorf("GRADeS moving its offer to R02: %d", resp.StatusCode)
		}
		if resp := app.API(t, grades, "DELETE", fmt.Sprintf("/api/v1/offers/%d", national.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("GRADeS deleting an R02 offer: %d", resp.StatusCode)
		}
		// Regional offers are public: an establishment of R01 reads R02's.
		if resp := app.API(t, rssi, "GET", "/api/v1/offers?region=R02", nil, &list); resp.StatusCode != 200 || list.Total != 1 || list.Items[0].ID != national.ID {
			t.Errorf("R02's offers read from R01: %d %+v", resp.StatusCode, list)
		}
		if resp := app.API(t, rssi, "GET", "/api/v1/offers?region=national&limit=1", nil, &list); resp.StatusCode != 200 || list.Total < 30 {
			t.Errorf("national offers: %d", list.Total)
		}

		// Import: the pilot only; a row 12 with an unknown theme stores nothing.
		var before listJSON
		app.API(t, rssi, "GET", "/api/v1/offers?limit=1", nil, &before)
		file := "titre,fournisseur,type,thèmes,public,région,coût,lien,description\n"
		for i := 2; i <= 13; i++ {
			theme := "Détecter"
			if i == 12 {
				theme = "Détecter, Soigner"
			}
			file += fmt.Sprintf("Import %d,Centrale,centrale d'achat,\"%s\",GHT,,payant,https://example.org/%d,Détection managée\n", i, theme, i)
		}
		if resp := app.API(t, pilot, "POST", "/api/v1/offers/import", file, &p); resp.StatusCode != 422 || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Detail, "12") || !strings.Contains(p.Errors[0].Detail, "Soigner") {
			t.Errorf("import with an unknown theme: %d %+v", resp.StatusCode, p)
		}
		if resp := app.API(t, grades, "POST", "/api/v1/offers/import", strings.Replace(file, ", Soigner", "", 1), nil); resp.StatusCode != 403 {
			t.Errorf("import by a GRADeS: %d", resp.StatusCode)
		}
		var after listJSON
		app.API(t, rssi, "GET", "/api/v1/offers?limit=1", nil, &after)
		if after.Total != before.Total {
			t.Errorf("refused imports stored %d offers", after.Total-before.Total)
		}
		var imported map[string]int
		if resp := app.API(t, pilot, "POST", "/api/v1/offers/import", strings.Replace(file, ", Soigner", "", 1), &imported); resp.StatusCode != 201 || imported["imported"] != 12 {
			t.Errorf("import: %d %v", resp.StatusCode, imported)
		}
	})
}

type awarenessJSON struct {
	Years []struct {
		Year   int      `json:"year"`
		Rate   *float64 `json:"rate"`
		Counts []struct {
			Population string `json:"population"`
			Staff      int    `json:"staff"`
			Trained    int    `json:"trained"`
		} `json:"counts"`
	} `json:"years"`
	Rate  *float64 `json:"rate"`
	Trend *float64 `json:"trend"`
}

// Awareness counts: the demo CHU's two years give a rate and a rising trend; a
// count with more trained than staff, or a negative one, is refused whole.
func TestAwarenessAPI(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		rssi, lecteur := app.Token(t, "rssi@demo.care.test"), app.Token(t, "lecteur@demo.care.test")
		chu := app.Org(t, "CHU de Port-Émeraude")
		path := fmt.Sprintf("/api/v1/orgs/%d/awareness", chu.ID)
		var a awarenessJSON
		if resp := app.API(t, rssi, "GET", path, nil, &a); resp.StatusCode != 200 || len(a.Years) != 2 || a.Years[0].Year != 2025 || len(a.Years[0].Counts) != 4 {
			t.Fatalf("demo counts: %d %+v", resp.StatusCode, a)
		}
		// 2025: 1064 of 1700 (62.6 %); 2024: 645 of 1670 (38.6 %).
		if a.Rate == nil || *a.Rate < 62.58 || *a.Rate > 62.6 || a.Trend == nil || *a.Trend < 23.96 || *a.Trend > 23.97 {
			t.Errorf("rate %v trend %v", *a.Rate, *a.Trend)
		}
		for name, body := range map[string]map[string]any{
			"more trained than staff": {"year": 2025, "counts": []map[string]any{{"population": "soignants", "staff": 10, "trained": 11}}},
			"negative":                {"year": 2025, "counts": []map[string]any{{"population": "direction", "staff": -1, "trained": 0}}},
		} {
			var p problemJSON
			if resp := app.API(t, rssi, "PUT", path, body, &p); resp.StatusCode != 422 || len(p.Errors) == 0 {
				t.Errorf("%s: %d %+v", name, resp.StatusCode, p)
			}
		}
		var again awarenessJSON
		app.API(t, rssi, "GET", path, nil, &again)
		if *again.Rate != *a.Rate || len(again.Years[0].Counts) != 4 {
			t.Errorf("a refused count changed the stored ones: %+v", again)
		}
		ehpad := app.Org(t, "EHPAD Les Glycines")
		if resp := app.API(t, lecteur, "PUT", fmt.Sprintf("/api/v1/orgs/%d/awareness", ehpad.ID), map[string]any{"year": 2025, "counts": []map[string]any{{"population": "soignants", "staff": 10, "trained": 1}}}, nil); resp.StatusCode != 403 {
			t.Errorf("a reader entering counts: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/orgs/%d/awareness", ehpad.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("another establishment's counts: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "PUT", path, map[string]any{"year": 2026, "counts": []map[string]any{{"population": "soignants", "staff": 1200, "trained": 900}}}, &a); resp.StatusCode != 200 || a.Years[0].Year != 2026 || *a.Rate != 75 {
			t.Errorf("2026: %d %+v", resp.StatusCode, a)
		}
	})
}
