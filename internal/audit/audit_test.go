package audit_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"care/internal/audit"
	"care/internal/testkit"
)

func TestDiffRecordsOnlyChangedFields(t *testing.T) {
	got := audit.Diff(map[string]any{"name": "A", "code": "X", "gone": 1}, map[string]any{"name": "B", "code": "X", "new": true})
	if len(got) != 3 || got["name"].Before != "A" || got["name"].After != "B" || got["gone"].After != nil || got["new"].After != true {
		t.Errorf("diff: %+v", got)
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	err := audit.WriteCSV(&b, []audit.Entry{{ID: 1, At: time.Unix(0, 0), Actor: "=HYPERLINK(\"x\")", Action: "org.update",
		Changes: map[string]audit.Change{"name": {Before: "A", After: "+33 1 23"}}}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.ReplaceAll(b.String(), ";", ","))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][2] != "'=HYPERLINK(\"x\")" {
		t.Errorf("actor cell %q is a live formula", recs[1][2])
	}
}

func TestTrailIsFilteredScopedAndExported(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		admin := app.Token(t, "admin@demo.care.test")
		chu := app.Org(t, "CHU de Port-Émeraude")
		app.API(t, admin, "PATCH", "/api/v1/orgs/"+strconv.FormatInt(chu.ID, 10), map[string]any{"name": "CHU de Port-Émeraude (renommé)"}, nil)

		var page struct {
			Items []struct {
				Actor   string                  `json:"actor"`
				Action  string                  `json:"action"`
				IP      string                  `json:"ip"`
				Changes map[string]audit.Change `json:"changes"`
			} `json:"items"`
			Total int `json:"total"`
		}
		app.API(t, admin, "GET", "/api/v1/audit?action=org.update", nil, &page)
		if page.Total != 1 || page.Items[0].Actor != "admin@demo.care.test" || page.Items[0].IP != "127.0.0.1" ||
			page.Items[0].Changes["name"].Before != "CHU de Port-Émeraude" || page.Items[0].Changes["name"].After != "CHU de Port-Émeraude (renommé)" {
			t.Fatalf("update entry: %+v", page)
		}
		// A neighbour's manager does not see it; a reader has no trail at all.
		app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "GET", "/api/v1/audit?action=org.update", nil, &page)
		if page.Total != 1 {
			t.Errorf("the GHT RSSI sees %d updates in its GHT, want 1", page.Total)
		}
		if resp := app.API(t, app.Token(t, "lecteur@demo.care.test"), "GET", "/api/v1/audit", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a reader reads the trail: %d", resp.StatusCode)
		}
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
		app.API(t, app.Token(t, "direction@demo.care.test"), "GET", "/api/v1/audit?object_type=org&object_id="+strconv.FormatInt(ch.ID, 10), nil, &page)
		if page.Total != 0 {
			t.Errorf("the CHU direction sees %d entries about its neighbour", page.Total)
		}
		// Dates filter; a bad date is refused.
		tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
		app.API(t, admin, "GET", "/api/v1/audit?from="+tomorrow, nil, &page)
		if page.Total != 0 {
			t.Errorf("entries from tomorrow: %d", page.Total)
		}
		if resp := app.API(t, admin, "GET", "/api/v1/audit?from=29/11/2026", nil, nil); resp.StatusCode != 422 {
			t.Errorf("bad date: %d", resp.StatusCode)
		}
		// The web page filters and the CSV export carries the same lines.
		c := app.Login(t, "direction@demo.care.test")
		if body := testkit.BodyOf(app.Get(t, c, "/journal?action=org.update")); !strings.Contains(body, "renommé") || !strings.Contains(body, "1 entrée<") {
			t.Errorf("journal page:\n%.3000s", body)
		}
		resp := app.Get(t, c, "/journal.csv?action=org.update")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("export content type %q", ct)
		}
		lines := strings.Split(strings.TrimSpace(testkit.BodyOf(resp)), "\n")
		if len(lines) != 2 || !strings.Contains(lines[1], "name: CHU de Port-Émeraude → CHU de Port-Émeraude (renommé)") {
			t.Errorf("export: %q", lines)
		}
		// Nothing in the product changes or deletes entries: no route does.
		for _, r := range app.Server.Routes() {
			if strings.Contains(r.Pattern, "journal") || strings.Contains(r.Pattern, "/api/v1/audit") {
				if !strings.HasPrefix(r.Pattern, "GET ") {
					t.Errorf("a route writes the trail: %s", r.Pattern)
				}
			}
		}
	})
}
