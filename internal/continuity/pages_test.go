package continuity_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"care/internal/testkit"
)

// A node id that is not one is a bad request (400), on the pages and in the API,
// never read as "no node"; an object id that is not one reads as absent (404).
func TestMalformedIDs(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	client := app.Login(t, "pcra@demo.care.test")
	token := app.Token(t, "pcra@demo.care.test")
	for path, want := range map[string]int{
		"/continuite?org=abc":          400,
		"/continuite?org=-3":           400,
		"/continuite/activites/abc":    404,
		"/continuite/activites/0":      404,
		"/continuite/activites/999999": 404,
		"/continuite?org=999999":       404,
	} {
		if resp := app.Get(t, client, path); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp := app.PostForm(t, client, "/continuite/noeud/abc/cadrage", url.Values{"rpcra_name": {"Eden"}}); resp.StatusCode != 400 {
		t.Errorf("POST a framing to a malformed node: %d", resp.StatusCode)
	}
	for _, call := range [][2]string{{"GET", "/api/v1/orgs/abc/continuity/gaps"}, {"GET", "/api/v1/orgs/1x/continuity/coverage"},
		{"GET", "/api/v1/orgs/abc/continuity/evaluation"}, {"GET", "/api/v1/orgs/abc/pcra?format=docx"}, {"POST", "/api/v1/orgs/abc/pcra/versions"}} {
		resp := app.API(t, token, call[0], call[1], nil, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 400 || !strings.Contains(body, "identifiant") {
			t.Errorf("%s %s: %d %s", call[0], call[1], resp.StatusCode, body)
		}
	}
	if resp := app.API(t, token, "POST", "/api/v1/orgs/abc/applications/import", "nom;type;rto;rpo;schéma;copie;test\nDPI;application;4;1;;non;\n", nil); resp.StatusCode != 400 {
		t.Errorf("import to a malformed node: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := app.API(t, token, "GET", "/api/v1/activities/abc", nil, nil); resp.StatusCode != 404 {
		t.Errorf("GET a malformed activity: %d", resp.StatusCode)
	}
}

// The page opens on the first node the caller sees, offers the others as links,
// and adds an activity to the node shown or to one of its sites; another
// establishment's page reads as absent.
func TestDashboardNodes(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	client := app.Login(t, "pcra@demo.care.test")
	chu := app.Org(t, "CHU de Port-Émeraude")
	sud := app.Org(t, "CHU de Port-Émeraude — Hôpital Sud")
	resp := app.Get(t, client, "/continuite")
	body := testkit.BodyOf(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `<h2 id="h-indicators">CHU de Port-Émeraude</h2>`) {
		t.Fatalf("the page without a node: %d, not the CHU's", resp.StatusCode)
	}
	if !strings.Contains(body, fmt.Sprintf(`href="/continuite?org=%d"`, sud.ID)) {
		t.Error("the chooser does not offer the southern site")
	}
	for _, id := range []int64{chu.ID, sud.ID} {
		if !strings.Contains(body, fmt.Sprintf(`<option value="%d"`, id)) {
			t.Errorf("the activity form does not offer node %d", id)
		}
	}
	other := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
	if resp := app.Get(t, client, fmt.Sprintf("/continuite?org=%d", other.ID)); resp.StatusCode != 404 {
		t.Errorf("another establishment's page: %d", resp.StatusCode)
	}
}
