package exercise_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"care/internal/testkit"
)

// A content manager imports a new version of a kit: it is checked whole, must be
// newer, and new exercises start from it while existing ones keep their copy.
func TestKitImport(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	pilote, rssi := app.Token(t, "pilote@demo.care.test"), app.Token(t, "rssi@demo.care.test")
	before := startRehearsal(t, app, rssi, 1)
	src, err := os.ReadFile("content/kit-debutant.yaml")
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/v1/kits", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/yaml")
		return app.Do(t, http.DefaultClient, req)
	}
	v2 := strings.Replace(strings.Replace(string(src), "version: 1", "version: 2", 1), `title: "Lundi noir`, `title: "V2 Lundi noir`, 1)
	if resp := post(rssi, v2); resp.StatusCode != 403 {
		t.Errorf("an RSSI imports a kit: %d", resp.StatusCode)
	}
	if resp := post(pilote, string(src)); resp.StatusCode != 409 {
		t.Errorf("the same version again: %d", resp.StatusCode)
	}
	if resp := post(pilote, strings.Replace(v2, "level: debutant", "level: expert", 1)); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "expert") {
		t.Errorf("a bad kit: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := post(pilote, v2); resp.StatusCode != 201 {
		t.Fatalf("import: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	var kits struct {
		Items []struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
			Title   string `json:"title"`
		} `json:"items"`
	}
	app.API(t, rssi, "GET", "/api/v1/kits", nil, &kits)
	found := 0
	for _, k := range kits.Items {
		if k.ID == "kit-debutant" {
			found++
			if k.Version != 2 || !strings.HasPrefix(k.Title, "V2") {
				t.Errorf("listed: %+v", k)
			}
		}
	}
	if found != 1 || len(kits.Items) != 4 {
		t.Errorf("%d kits listed, kit-debutant %d times", len(kits.Items), found)
	}
	after := startRehearsal(t, app, rssi, 1)
	var a, b struct {
		KitVersion int `json:"kit_version"`
	}
	app.API(t, rssi, "GET", "/api/v1/exercises/"+strconv.FormatInt(before, 10), nil, &b)
	app.API(t, rssi, "GET", "/api/v1/exercises/"+strconv.FormatInt(after, 10), nil, &a)
	if b.KitVersion != 1 || a.KitVersion != 2 {
		t.Errorf("kit versions: existing exercise %d, new one %d", b.KitVersion, a.KitVersion)
	}
}
