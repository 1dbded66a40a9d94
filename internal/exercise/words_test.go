package exercise_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The main courante on a French page names the kind of each entry and the cell
// that wrote it in words — "décision", "Cellule décisionnelle" — never the kit's
// codes ("decision"); the live script gets the same words (issue 13, point 19).
func TestMainCouranteShowsWordsNotCodes(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi, player := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	app.API(t, rssi, "POST", path+"/start", nil, nil)
	if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "decision", "body": "Isoler le réseau"}, nil); resp.StatusCode != 201 {
		t.Fatalf("log: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	body := testkit.BodyOf(app.Get(t, app.Login(t, "pcra@demo.care.test"), fmt.Sprintf("/exercices/%d", id)))
	log := regexp.MustCompile(`(?s)<ol id="log"[^>]*>(.*?)</ol>`).FindStringSubmatch(body)
	if log == nil {
		t.Fatalf("no main courante on the page:\n%.2000s", body)
	}
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(log[1], " ")
	if !strings.Contains(text, "(Cellule décisionnelle)") || !strings.Contains(text, "décision") || !strings.Contains(text, "Isoler le réseau") {
		t.Errorf("the entry does not read in words: %q", text)
	}
	if regexp.MustCompile(`\bdecision\b`).MatchString(text) {
		t.Errorf("the entry shows a code: %q", text)
	}
	for _, want := range []string{`data-kinds="{&#34;action&#34;:&#34;action&#34;,&#34;decision&#34;:&#34;décision&#34;`, `&#34;decision&#34;:&#34;Cellule décisionnelle&#34;`} {
		if !strings.Contains(body, want) {
			t.Errorf("the live script lacks the labels %s", want)
		}
	}
}
