package exercise_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"care/internal/testkit"
)

// A node id that is not one is a bad request, on the page, in its form and in
// the API: never read as "no node"; the page still offers the nodes to choose.
func TestMalformedOrgIsABadRequest(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	browser := app.Login(t, "rssi@demo.care.test")
	for _, bad := range []string{"abc", "-3", "0", "1e3"} {
		if resp := app.Get(t, browser, "/exercices?org="+url.QueryEscape(bad)); resp.StatusCode != 400 {
			t.Errorf("page with org=%q: %d", bad, resp.StatusCode)
		}
		if resp := app.API(t, rssi, "GET", "/api/v1/kits?org="+url.QueryEscape(bad), nil, nil); resp.StatusCode != 400 {
			t.Errorf("GET /api/v1/kits?org=%q: %d", bad, resp.StatusCode)
		}
		form := url.Values{"org": {bad}, "kit": {"kit-debutant"}, "speed": {"1"}}
		if resp := app.PostForm(t, browser, "/exercices", form); resp.StatusCode != 400 {
			t.Errorf("creating with org=%q: %d", bad, resp.StatusCode)
		}
	}
	chu := app.Org(t, "CHU de Port-Émeraude")
	resp := app.Get(t, browser, "/exercices")
	body := testkit.BodyOf(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`href="/exercices?org=%d"`, chu.ID)) || !strings.Contains(body, fmt.Sprintf(`name="org" value="%d"`, chu.ID)) {
		t.Errorf("the page without a node: %d, no choice of the CHU or no CHU preselected", resp.StatusCode)
	}
}
