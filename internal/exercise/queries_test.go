package exercise_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

// nodeRead is a statement that reads one node of the tree by id (as in
// internal/server/queries_test.go), or the node of one exercise.
var nodeRead = regexp.MustCompile(`(?is)\bFROM orgs\b.*\bWHERE\s+(o\.)?id\s*=|\bJOIN orgs\b.*\bWHERE\s+e\.id\s*=`)

// background is what the instance's loops run meanwhile: not the page's work.
var background = regexp.MustCompile(`(?is)FROM exercises WHERE status = 'running'|FROM directory_sources`)

// The exercise pages read their node once at most, then their own data: counted
// on the statements SQLite runs for one view, as the animator (the RSSI of the
// CHU), a player and a reader of the establishment see them.
func TestPagesReadTheirNodeOnce(t *testing.T) {
	d, queries := testkit.CountedSQLite(t)
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	rssi := app.Token(t, "rssi@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/participants", id), map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	chu := app.Org(t, "CHU de Port-Émeraude")
	for _, view := range []struct{ who, page string }{
		{"rssi@demo.care.test", fmt.Sprintf("/exercices?org=%d", chu.ID)},
		{"rssi@demo.care.test", fmt.Sprintf("/exercices/%d", id)},
		{"pcra@demo.care.test", fmt.Sprintf("/exercices/%d", id)},
		{"direction@demo.care.test", fmt.Sprintf("/exercices/%d", id)},
		{"rssi@demo.care.test", fmt.Sprintf("/exercices/%d/retex", id)},
	} {
		client := app.Login(t, view.who)
		app.Get(t, client, view.page) // warm: the session's last-seen write
		statements := queries.During(func() {
			if resp := app.Get(t, client, view.page); resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d", view.who, view.page, resp.StatusCode)
			}
		})
		var own []string
		reads := 0
		for _, s := range statements {
			if background.MatchString(s) {
				continue
			}
			own = append(own, s)
			if nodeRead.MatchString(s) {
				reads++
			}
		}
		t.Logf("%s as %s: %d statements, %d reads of a node", view.page, view.who, len(own), reads)
		if testing.Verbose() {
			t.Log(strings.Join(own, "\n"))
		}
		if reads > 1 {
			t.Errorf("%s as %s reads a node %d times", view.page, view.who, reads)
		}
	}
}
