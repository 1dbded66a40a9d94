package maturity_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"care/internal/org"
	"care/internal/testkit"
)

// A node id that is not one is a bad request, on the pages and in the API,
// never read as "no node".
func TestMalformedOrgIsABadRequest(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	client := app.Login(t, "rssi.ght@demo.care.test")
	for _, path := range []string{"/syntheses?org=abc", "/syntheses?noeud=x1", "/autoevaluations?org=-3"} {
		if resp := app.Get(t, client, path); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	token := app.Token(t, "rssi.ght@demo.care.test")
	for _, path := range []string{"/api/v1/rollups?org=abc&questionnaire=petit", "/api/v1/assessments?org=1x"} {
		if resp := app.API(t, token, "GET", path, nil, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	// No node at all is still a missing parameter.
	if resp := app.API(t, token, "GET", "/api/v1/rollups?questionnaire=petit", nil, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a roll-up without a node: %d", resp.StatusCode)
	}
}

// With more nodes than a list shows, the roll-up and the new assessment offer a
// search instead; the roll-up opens on the top of the caller's reach, and an
// establishment found by the search starts an assessment.
func TestChoosersTurnIntoSearches(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	qid := importSmall(t, app)
	ctx := testkit.As(t, app, "admin@demo.care.test")
	region, ght := app.Org(t, "R01"), app.Org(t, "GHT-LE")
	var last org.Org
	for i := range org.FewChoices + 1 {
		if _, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: region.ID, Level: org.GHT, Name: fmt.Sprintf("GHT généré %02d", i)}); err != nil {
			t.Fatal(err)
		}
		o, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: ght.ID, Level: org.LegalEntity, Name: fmt.Sprintf("Établissement généré %02d", i),
			FINESS: org.CompleteFINESS(fmt.Sprintf("359%05d", i)), Kind: org.ES, Category: org.Public})
		if err != nil {
			t.Fatal(err)
		}
		last = o
	}
	c := app.Login(t, "admin@demo.care.test")
	root, _ := app.Server.Orgs.Resolve(t.Context(), "national")

	page := testkit.BodyOf(app.Get(t, c, "/syntheses"))
	if !strings.Contains(page, `class="chooser-search"`) || strings.Contains(page, `class="chooser-list"`) {
		t.Errorf("the roll-up page lists its nodes instead of a search")
	}
	if !strings.Contains(page, "<h2>"+root.Name+"</h2>") {
		t.Errorf("the roll-up page does not open on the national root")
	}

	page = testkit.BodyOf(app.Get(t, c, "/autoevaluations"))
	if !strings.Contains(page, `class="chooser-search"`) || strings.Contains(page, `<select id="org"`) {
		t.Errorf("the new assessment lists its establishments instead of a search")
	}
	chosen := fmt.Sprintf("/autoevaluations?org=%d", last.ID)
	page = testkit.BodyOf(app.Get(t, c, chosen))
	if !strings.Contains(page, fmt.Sprintf(`<input type="hidden" name="org" value="%d">`, last.ID)) || !strings.Contains(page, `action="`+strings.ReplaceAll(chosen, "&", "&amp;")+`"`) {
		t.Fatalf("the chosen establishment is not in the form")
	}
	resp := app.PostForm(t, c, chosen, url.Values{"questionnaire": {fmt.Sprint(qid)}, "org": {fmt.Sprint(last.ID)}})
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/autoevaluations/\d+$`).MatchString(resp.Header.Get("Location")) {
		t.Errorf("starting an assessment of the chosen establishment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A refused form comes back with the chosen establishment and the error.
	resp = app.PostForm(t, c, chosen, url.Values{"questionnaire": {"999999"}, "org": {fmt.Sprint(last.ID)}})
	if body := testkit.BodyOf(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, fmt.Sprintf(`value="%d"`, last.ID)) {
		t.Errorf("a refused form: %d", resp.StatusCode)
	}
}
