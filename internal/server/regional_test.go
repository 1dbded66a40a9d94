package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"care/internal/demo"
	"care/internal/testkit"
)

// capabilityPages are the pages of the capabilities with a regional view.
var capabilityPages = map[string]string{
	"maturity":   "/autoevaluations",
	"continuity": "/continuite",
	"exposure":   "/exposition",
	"directory":  "/annuaire",
	"exercise":   "/exercices",
}

// regionalSection is the regional view of a capability page.
var regionalSection = regexp.MustCompile(`(?s)<section class="card regional"[^>]*data-capability="([a-z]+)">(.*?)</section>`)

// Every capability page shows an ARS referent, for the region, how many of its
// legal entities started that capability ("x sur N") and which have not, and
// lists every legal entity — audited or not — with its state (issue 15, point
// 3); the numbers are counted again here by SQL from the demo data. Before,
// the pages opened on the first establishment and said nothing of the region.
func TestEveryCapabilityPageShowsTheRegionXOfNAndTheMissing(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		region := app.Org(t, "Région Armor-Océan (fictive)")
		ght := app.Org(t, "GHT Littoral Émeraude")
		c := app.Login(t, "ars@demo.care.test")
		for capability, page := range capabilityPages {
			for _, node := range []struct {
				path, query string
			}{{region.Path, ""}, {region.Path, fmt.Sprintf("?org=%d", region.ID)}, {ght.Path, fmt.Sprintf("?org=%d", ght.ID)}} {
				resp := app.Get(t, c, page+node.query)
				body := testkit.BodyOf(resp)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s%s: status %d", page, node.query, resp.StatusCode)
				}
				m := regionalSection.FindStringSubmatch(body)
				if m == nil || m[1] != capability {
					t.Errorf("%s%s: no regional view of %s", page, node.query, capability)
					continue
				}
				total, begun, missing := startedUnder(t, d, node.path, capability)
				if want := fmt.Sprintf(`<strong id="x-of-n">%d sur %d ont commencé</strong>`, begun, total); !strings.Contains(m[2], want) {
					t.Errorf("%s%s: want %s", page, node.query, want)
				}
				list := regexp.MustCompile(`(?s)<ul class="missing"[^>]*>(.*?)</ul>`).FindStringSubmatch(m[2])
				var shown []string
				if list != nil {
					shown = listed(list[1])
				}
				if !slices.Equal(shown, missing) {
					t.Errorf("%s%s: the missing shown are %q, want %q", page, node.query, shown, missing)
				}
				if rows := strings.Count(m[2], `<tr data-org=`); rows != total {
					t.Errorf("%s%s: %d structures listed, want every legal entity (%d)", page, node.query, rows, total)
				}
			}
		}
	})
}

// The directory and exposure views of a region name the establishments never
// audited as such ("aucun audit"), and the exposure page of an establishment
// never scanned says so instead of "0 constats critiques ouverts".
func TestRegionalViewsSayNoAudit(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	c := app.Login(t, "ars@demo.care.test")
	region := app.Org(t, "Région Armor-Océan (fictive)")
	for _, page := range []string{"/annuaire", "/exposition"} {
		body := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("%s?org=%d", page, region.ID)))
		m := regionalSection.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no regional view", page)
		}
		row := regexp.MustCompile(`(?s)<tr data-org="\d+" data-state="not_started">(.*?)</tr>`).FindStringSubmatch(m[2])
		if row == nil || !strings.Contains(strings.ToLower(row[1]), "aucun audit") {
			t.Errorf("%s: an establishment never audited does not read \"aucun audit\": %v", page, row)
		}
	}
}

// In Chromium, the ARS referent opens the exposure page without choosing
// anything and reads the region's "x sur N" and who has not started; choosing
// the GHT in the page's chooser narrows both.
func TestJourneyRegionalView(t *testing.T) {
	j := newJourney(t)
	j.login("ars@demo.care.test", demo.Password)
	region := j.app.Org(t, "Région Armor-Océan (fictive)")
	ght := j.app.Org(t, "GHT Littoral Émeraude")
	for _, node := range []struct {
		path, pick string
	}{{region.Path, ""}, {ght.Path, ght.Name}} {
		if node.pick == "" {
			j.open("/exposition")
		} else {
			j.submit("choosing "+node.pick, fmt.Sprintf(`#regional .chooser a[href$="org=%d"]`, ght.ID))
		}
		total, begun, missing := startedUnder(t, j.app.Server.DB, node.path, "exposure")
		if got, want := j.text("#x-of-n"), fmt.Sprintf("%d sur %d ont commencé", begun, total); got != want {
			t.Errorf("%s: %q, want %q", node.path, got, want)
		}
		shown := j.texts("#missing li")
		slices.Sort(shown)
		if !slices.Equal(shown, missing) {
			t.Errorf("%s: the missing shown are %q, want %q", node.path, shown, missing)
		}
	}
}
