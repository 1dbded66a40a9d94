package maturity_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

// nodeRead is a statement that reads one node of the tree by id (as in
// internal/server/queries_test.go); assessmentRead one assessment by id.
var (
	nodeRead       = regexp.MustCompile(`(?is)\bFROM orgs\b.*\bWHERE\s+(o\.)?id\s*=`)
	assessmentRead = regexp.MustCompile(`(?is)\bFROM assessments a\b.*\bWHERE\s+a\.id\s*=`)
)

// The self-assessment pages read their node once (an assessment's page, the
// assessment with its establishment's id, then the establishment), then their own
// data: counted on the statements SQLite runs for one view of each page. Before
// the pages moved to org.Load, the form read its assessment three times (8
// statements, now 7).
func TestPagesReadTheirNodeOnce(t *testing.T) {
	d, queries := testkit.CountedSQLite(t)
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	a := smallOnCHU(t, app, app.Token(t, "rssi@demo.care.test"))
	chu := app.Org(t, "CHU de Port-Émeraude").ID
	for _, c := range []struct {
		who, page   string
		nodes, most int // node reads, statements at most
	}{
		{"rssi@demo.care.test", "/autoevaluations", 0, 8},
		{"rssi@demo.care.test", fmt.Sprintf("/autoevaluations?org=%d", chu), 1, 9},
		{"rssi@demo.care.test", fmt.Sprintf("/autoevaluations/%d", a.ID), 1, 7},
		{"rssi@demo.care.test", fmt.Sprintf("/autoevaluations/%d/resultats", a.ID), 1, 7},
		{"rssi.ght@demo.care.test", fmt.Sprintf("/syntheses?org=%d&questionnaire=petit", app.Org(t, "GHT-LE").ID), 1, 10},
	} {
		client := app.Login(t, c.who)
		app.Get(t, client, c.page) // warm: the session's last-seen write
		statements := queries.During(func() {
			if resp := app.Get(t, client, c.page); resp.StatusCode != 200 {
				t.Fatalf("%s: %d", c.page, resp.StatusCode)
			}
		})
		reads, assessments := 0, 0
		for _, s := range statements {
			if nodeRead.MatchString(s) {
				reads++
			}
			if assessmentRead.MatchString(s) {
				assessments++
			}
		}
		t.Logf("%s: %d statements, %d reads of a node", c.page, len(statements), reads)
		if reads != c.nodes || assessments > 1 || len(statements) > c.most {
			t.Errorf("%s: %d statements (want at most %d), %d reads of a node (want %d), %d of the assessment (want at most 1):\n%s",
				c.page, len(statements), c.most, reads, c.nodes, assessments, strings.Join(statements, "\n"))
		}
		if testing.Verbose() {
			t.Log(strings.Join(statements, "\n"))
		}
	}
}
