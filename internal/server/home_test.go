package server_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"care/internal/authz"
	"care/internal/demo"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/testkit"
)

// firstStep is the link of the home's "next step".
var firstStep = regexp.MustCompile(`class="btn next-action first" href="([^"]+)"`)

// nextStepOf reads the home page of client c and its first next action.
func nextStepOf(t *testing.T, app *testkit.App, c *http.Client) (string, string) {
	t.Helper()
	resp := app.Get(t, c, "/")
	body := testkit.BodyOf(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: status %d", resp.StatusCode)
	}
	m := firstStep.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the home offers no next step:\n%s", body)
	}
	return body, html.UnescapeString(m[1])
}

// Every demo role lands on a home that says what to do next: the establishment's
// people see one card per capability, the others the table of their
// establishments; the first next action leads to a page that answers 200 for
// that person. (Before, every role saw the same counters of the tree.)
func TestHomePerRoleSaysWhatToDoNext(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		sources := len(app.Server.Sources)
		for _, a := range demo.Accounts {
			c := app.Login(t, a.Email)
			body, next := nextStepOf(t, app, c)
			cards := strings.Count(body, `class="card status-card`)
			if a.Role == authz.CertSante { // follows no structure: its work is the declarations
				if cards != 0 || strings.Contains(body, `class="board-table"`) || next != "/incidents" {
					t.Errorf("%s: %d cards, next step %s", a.Email, cards, next)
				}
			} else if a.Org == "root" || a.Org == "r1" || a.Org == "g1" {
				if !strings.Contains(body, `class="board-table"`) || cards != 0 {
					t.Errorf("%s: no table of the establishments followed (%d cards)", a.Email, cards)
				}
			} else if cards != sources {
				t.Errorf("%s: %d cards, want one per capability (%d)", a.Email, cards, sources)
			}
			if resp := app.Get(t, c, next); resp.StatusCode != http.StatusOK {
				t.Errorf("%s: the next step %s answers %d", a.Email, next, resp.StatusCode)
			}
		}
	})
}

// What waits for the direction's signature comes first: an assessment submitted
// for validation is the direction's next step.
func TestDirectionSeesWhatWaitsForItsSignatureFirst(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		chu := app.Org(t, "CHU de Port-Émeraude")
		ctx := testkit.As(t, app, "rssi@demo.care.test")
		var questionnaire int64
		if err := d.Read.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE kind = 'maturity' ORDER BY id DESC LIMIT 1").Scan(&questionnaire); err != nil {
			t.Fatal(err)
		}
		a, err := app.Server.Maturity.Create(ctx, questionnaire, chu.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Submitting asks for every answer: the state is what this test is about.
		if _, err := d.Write.ExecContext(ctx, "UPDATE assessments SET status = 'review' WHERE id = $1", a.ID); err != nil {
			t.Fatal(err)
		}
		c := app.Login(t, "direction@demo.care.test")
		body, next := nextStepOf(t, app, c)
		if want := fmt.Sprintf("/autoevaluations/%d", a.ID); next != want {
			t.Errorf("the direction's next step is %s, want %s (the assessment to validate)", next, want)
		}
		if !strings.Contains(body, "En attente de votre décision") || !strings.Contains(body, "Valider l&#39;autoévaluation") {
			t.Error("the home does not say what waits for the direction's validation")
		}
		if resp := app.Get(t, c, next); resp.StatusCode != http.StatusOK {
			t.Errorf("%s answers %d", next, resp.StatusCode)
		}
		// The RSSI may not sign: nothing waits for them.
		if body, _ := nextStepOf(t, app, app.Login(t, "rssi@demo.care.test")); strings.Contains(body, "En attente de votre décision") {
			t.Error("the RSSI is asked to validate an assessment they may not sign")
		}
	})
}

// started lists, per capability, the SQL condition (on the legal entity le) that
// it started, written from the tables and independently of the status sources.
var started = map[string]string{
	"maturity": `EXISTS (SELECT 1 FROM assessments a JOIN orgs x ON x.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE q.kind = 'maturity' AND x.path LIKE le.path || '%')`,
	"continuity": `EXISTS (SELECT 1 FROM activities a JOIN orgs x ON x.id = a.org_id WHERE a.archived_at IS NULL AND x.path LIKE le.path || '%')
		OR EXISTS (SELECT 1 FROM continuity_plans p JOIN orgs x ON x.id = p.org_id WHERE x.path LIKE le.path || '%')
		OR EXISTS (SELECT 1 FROM plan_versions v JOIN orgs x ON x.id = v.org_id WHERE x.path LIKE le.path || '%')`,
	"exposure": `EXISTS (SELECT 1 FROM exposure_scans s JOIN orgs x ON x.id = s.org_id WHERE s.status = 'done' AND x.path LIKE le.path || '%')
		OR EXISTS (SELECT 1 FROM exposure_silene s JOIN orgs x ON x.id = s.org_id WHERE x.path LIKE le.path || '%')`,
	"directory": `EXISTS (SELECT 1 FROM directory_audits a JOIN orgs x ON x.id = a.org_id WHERE x.path LIKE le.path || '%')`,
	"exercise":  `EXISTS (SELECT 1 FROM exercises e JOIN orgs x ON x.id = e.org_id WHERE e.created_at >= $2 AND x.path LIKE le.path || '%')`,
	"funding": `EXISTS (SELECT 1 FROM funding_candidatures c JOIN orgs x ON x.id = c.org_id WHERE c.status <> 'withdrawn' AND x.path LIKE le.path || '%')
		OR EXISTS (SELECT 1 FROM funding_candidature_members m JOIN funding_candidatures c ON c.id = m.candidature_id
		WHERE c.status <> 'withdrawn' AND m.org_id = le.id)`,
}

// The ARS referent sees, for each capability, how many of the region's
// establishments started ("x sur N") and which have not; the numbers are
// counted here again by SQL from the demo data.
func TestARSSeesXOfNAndTheMissing(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		region := app.Org(t, "Région Armor-Océan (fictive)")
		body, _ := nextStepOf(t, app, app.Login(t, "ars@demo.care.test"))
		var checked int
		for capability := range started {
			total, begun, missing := startedUnder(t, d, region.Path, capability)
			if total != 4 {
				t.Fatalf("the demo region holds %d legal entities, want 4", total)
			}
			row := regexp.MustCompile(`(?s)<tr data-capability="` + capability + `">(.*?)</tr>`).FindStringSubmatch(body)
			if row == nil {
				t.Errorf("no line for %s", capability)
				continue
			}
			if want := fmt.Sprintf(`<td class="x-of-n">%d sur %d</td>`, begun, total); !strings.Contains(row[1], want) {
				t.Errorf("%s: want %s in %s", capability, want, row[1])
			}
			if shown := listed(row[1]); !slices.Equal(shown, missing) {
				t.Errorf("%s: the missing shown are %q, want %q", capability, shown, missing)
			}
			if len(missing) > 0 && begun > 0 {
				checked++
			}
		}
		if checked == 0 {
			t.Error("no capability of the demo is partly done in the region: the test proves little")
		}
	})
}

// startedUnder counts, by SQL written here from the tables, the legal entities
// under path and those that started capability, and names the others (sorted).
func startedUnder(t *testing.T, d *db.DB, path, capability string) (total, begun int, missing []string) {
	t.Helper()
	cond := started[capability]
	args := []any{path}
	if strings.Contains(cond, "$2") {
		args = append(args, time.Date(time.Now().Year(), time.January, 1, 0, 0, 0, 0, time.UTC))
	}
	rows, err := d.Read.QueryContext(t.Context(), `SELECT le.name, CASE WHEN `+cond+` THEN 1 ELSE 0 END FROM orgs le
		WHERE le.level = 'legal_entity' AND le.archived_at IS NULL AND le.path LIKE $1 || '%' ORDER BY le.name`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var s int
		if err := rows.Scan(&name, &s); err != nil {
			t.Fatal(err)
		}
		total++
		begun += s
		if s == 0 {
			missing = append(missing, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(missing)
	return total, begun, missing
}

// listed is the text of the items of the lists in fragment, sorted.
func listed(fragment string) []string {
	var shown []string
	for _, m := range regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(fragment, -1) {
		shown = append(shown, html.UnescapeString(m[1]))
	}
	slices.Sort(shown)
	return shown
}

// The table is filtered, sorted and exported on the server, without script.
func TestHomeTableFiltersSortsAndExports(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	c := app.Login(t, "ars@demo.care.test")
	names := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<th scope="row"><a href="/organisations/\d+">([^<]*)</a>`).FindAllStringSubmatch(body, -1) {
			out = append(out, html.UnescapeString(m[1]))
		}
		return out
	}
	body := testkit.BodyOf(app.Get(t, c, "/?cap=exposure&state=not_started"))
	if got := names(body); len(got) != 3 || slices.Contains(got, "CHU de Port-Émeraude") {
		t.Errorf("the establishments without an exposure audit: %q", got)
	}
	body = testkit.BodyOf(app.Get(t, c, "/?q=glycines"))
	if got := names(body); !slices.Equal(got, []string{"EHPAD Les Glycines"}) {
		t.Errorf("search by name: %q", got)
	}
	asc, desc := names(testkit.BodyOf(app.Get(t, c, "/?sort=name"))), names(testkit.BodyOf(app.Get(t, c, "/?sort=name&desc=1")))
	slices.Reverse(desc)
	if len(asc) != 4 || !slices.Equal(asc, desc) {
		t.Errorf("sorting by name: %q and reversed %q", asc, desc)
	}
	resp := app.Get(t, c, "/accueil.csv?cap=funding&state=not_started")
	csv := testkit.BodyOf(resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 3 || !strings.Contains(lines[0], "Établissement;Autoévaluations") || !strings.Contains(csv, "Pas commencé") {
		t.Errorf("export of the establishments without a candidature:\n%s", csv)
	}
	// An establishment's people have no table to export.
	if resp := app.Get(t, app.Login(t, "rssi@demo.care.test"), "/accueil.csv"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an RSSI's export answers %d", resp.StatusCode)
	}
}

// The home of an ARS reads the same number of statements whatever the number of
// establishments in the region: one query per capability, no loop over nodes.
func TestHomeStatementsDoNotGrowWithTheRegion(t *testing.T) {
	d, queries := testkit.CountedSQLite(t)
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	c := app.Login(t, "ars@demo.care.test")
	count := func() int {
		app.Get(t, c, "/") // warm: the session's last-seen write, parsed questionnaires
		return len(queries.During(func() {
			if resp := app.Get(t, c, "/"); resp.StatusCode != http.StatusOK {
				t.Fatalf("home: %d", resp.StatusCode)
			}
		}))
	}
	before := count()
	ght := app.Org(t, "GHT Littoral Émeraude")
	ctx := authz.WithSubject(t.Context(), app.Root(t))
	for i := range 50 {
		if _, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: ght.ID, Level: org.LegalEntity, Name: "Établissement d'essai " + strconv.Itoa(i), FINESS: org.CompleteFINESS(fmt.Sprintf("359%05d", i)), Kind: org.ES, Category: org.Public}); err != nil {
			t.Fatal(err)
		}
	}
	after := count()
	t.Logf("home of the ARS: %d statements with the demo, %d with 50 more establishments", before, after)
	if after != before {
		t.Errorf("the home ran %d statements, then %d with 50 more establishments", before, after)
	}
	if body := testkit.BodyOf(app.Get(t, c, "/")); !strings.Contains(body, `<td class="x-of-n">4 sur 54</td>`) {
		t.Error("the new establishments are not counted")
	}
}

// The page of a structure is its hub: the same cards, with links into each
// capability on that structure.
func TestOrgPageShowsTheCards(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude")
		c := app.Login(t, "rssi@demo.care.test")
		body := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/organisations/%d", chu.ID)))
		if !strings.Contains(body, "Où en est cette structure") {
			t.Fatal("the CHU's page shows no cards")
		}
		// The demo's CHU finished an exercise this year: its card leads to its RETEX.
		if !strings.Contains(body, `href="/exercices/`) {
			t.Error("the CHU's page has no link into its exercises")
		}
		for _, link := range []string{fmt.Sprintf("/continuite?org=%d", chu.ID), fmt.Sprintf("/exposition?org=%d", chu.ID), fmt.Sprintf("/annuaire?org=%d", chu.ID)} {
			if !strings.Contains(body, `href="`+link+`"`) {
				t.Errorf("the CHU's page has no link to %s", link)
			}
			if resp := app.Get(t, c, link); resp.StatusCode != http.StatusOK {
				t.Errorf("%s answers %d", link, resp.StatusCode)
			}
		}
		// The region's page is no establishment: no cards.
		if body := testkit.BodyOf(app.Get(t, app.Login(t, "direction@demo.care.test"), fmt.Sprintf("/organisations/%d", app.Org(t, "GHT Littoral Émeraude").ID))); strings.Contains(body, "Où en est cette structure") {
			t.Error("a GHT's page shows an establishment's cards")
		}
	})
}

// The change log speaks in words: names of people and structures, French
// sentences, never a code nor an id.
func TestJournalSpeaksInWords(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		c := app.Login(t, "direction@demo.care.test")
		resp := app.Get(t, c, "/journal")
		body := testkit.BodyOf(resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("journal: %d", resp.StatusCode)
		}
		validated := testkit.BodyOf(app.Get(t, c, "/journal?action=assessment.validated"))
		for _, want := range []string{"Jean Direction a ouvert une session — CHU de Port-Émeraude", "a validé l&#39;autoévaluation — CHU de Port-Émeraude"} {
			if !strings.Contains(body+validated, want) {
				t.Errorf("the journal does not say %q", want)
			}
		}
		for _, code := range []*regexp.Regexp{regexp.MustCompile(`account\.login|assessment\.validated`), regexp.MustCompile(`\b(user|org|assessment|structure|autoévaluation) \d+\b`)} {
			if m := code.FindString(body); m != "" {
				t.Errorf("the journal shows %q", m)
			}
		}
	})
}
