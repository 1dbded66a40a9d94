package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"care/internal/testkit"
)

// nodeRead is a statement that reads one node of the tree by id.
var nodeRead = regexp.MustCompile(`(?is)\bFROM orgs\b.*\bWHERE\s+(o\.)?id\s*=`)

// A page view reads its node once, then its own data: counted on the statements
// SQLite runs for one view of each page, as the RSSI of the CHU sees it.
func TestPagesReadTheirNodeOnce(t *testing.T) {
	d, queries := testkit.CountedSQLite(t)
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	chu := strconv.FormatInt(app.Org(t, "CHU de Port-Émeraude").ID, 10)
	client := app.Login(t, "rssi@demo.care.test")
	for _, page := range []string{"/exposition?org=" + chu, "/continuite?org=" + chu, "/annuaire?org=" + chu} {
		// Each reads its node once since it moved to org.Load (before: exposure 15
		// statements and 5 node reads, continuity 24 and 5, directory 17 and 7).
		app.Get(t, client, page) // warm: the session's last-seen write
		statements := queries.During(func() {
			if resp := app.Get(t, client, page); resp.StatusCode != 200 {
				t.Fatalf("%s: %d", page, resp.StatusCode)
			}
		})
		reads := 0
		for _, s := range statements {
			if nodeRead.MatchString(s) {
				reads++
			}
		}
		t.Logf("%s: %d statements, %d reads of a node", page, len(statements), reads)
		if reads != 1 {
			t.Errorf("%s reads a node %d times, want once:\n%s", page, reads, strings.Join(statements, "\n"))
		}
		if testing.Verbose() {
			t.Log(strings.Join(statements, "\n"))
		}
	}
}
