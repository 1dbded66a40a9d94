package server_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/testkit"
)

// An animator prepares a rehearsal, two players in their own browsers receive the
// stimuli of their cells live and in order, one writes in the main courante and the
// other sees it arrive, the observer marks the grid, and the animator closes the
// RETEX with an action plan.
func TestJourneyExerciseRehearsal(t *testing.T) {
	browser := testkit.NewBrowser(t)
	app := testkit.NewApp(t, testkit.SQLite(t))
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(cancel)
	animator := &journey{t: t, app: app, ctx: ctx}
	chu := app.Org(t, "CHU de Port-Émeraude")

	animator.login("rssi@demo.care.test", demo.Password)
	animator.open(fmt.Sprintf("/exercices?org=%d", chu.ID))
	animator.wantH1("Exercices de crise")
	if status := animator.submit("creating the exercise", `form[method="post"][action="/exercices"] button[type=submit]`,
		chromedp.Click(chromedp.CSS(`input[name="kit"][value="kit-debutant"]`)),
		chromedp.SetValue(chromedp.ID("speed"), "1200")); status != 200 {
		t.Fatalf("creating the exercise: %d (%s)", status, animator.text(".alert"))
	}
	animator.wantH1("Lundi noir")
	var id int64
	if _, err := fmt.Sscanf(animator.path(), "/exercices/%d", &id); err != nil {
		t.Fatalf("after creating, the browser is on %s", animator.path())
	}
	seat := func(email, role, cell string) {
		t.Helper()
		if status := animator.submit("adding "+email, `form[action$="/participants"] button[type=submit]`,
			chromedp.SetValue(chromedp.ID("email"), email),
			chromedp.SetValue(chromedp.ID("role"), role),
			chromedp.SetValue(chromedp.ID("cell"), cell)); status != 200 {
			t.Fatalf("adding %s: %d (%s)", email, status, animator.text("main"))
		}
	}
	seat("pcra@demo.care.test", "player", "decision")
	seat("direction@demo.care.test", "player", "communication")
	seat("rssi.ght@demo.care.test", "observer", "")

	// What each cell should receive, in chronogramme order. A stimulus due at T0
	// goes out with the start, whose state event reloads the players' pages: it
	// may be on the reloaded page rather than received live.
	want := map[string][]string{}
	atStart := map[string]bool{}
	rows, err := app.DB.Read.QueryContext(t.Context(), "SELECT id, recipients, offset_seconds FROM exercise_stimuli WHERE exercise_id = $1 ORDER BY offset_seconds, id", id)
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	for rows.Next() {
		var sid, recipients string
		var offset int
		if err := rows.Scan(&sid, &recipients, &offset); err != nil {
			t.Fatal(err)
		}
		atStart[sid] = offset == 0
		for _, cell := range []string{"decision", "communication"} {
			if r := strings.Fields(recipients); slices.Contains(r, cell) || slices.Contains(r, "all") {
				want[cell] = append(want[cell], sid)
			}
		}
	}
	rows.Close()
	if err := app.DB.Read.QueryRowContext(t.Context(), "SELECT expected FROM exercise_stimuli WHERE exercise_id = $1 ORDER BY id LIMIT 1", id).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	secret = strings.Split(secret, "\n")[0]

	players := map[string]*journey{"decision": animator.another(), "communication": animator.another()}
	players["decision"].login("pcra@demo.care.test", demo.Password)
	players["communication"].login("direction@demo.care.test", demo.Password)
	observer := animator.another()
	observer.login("rssi.ght@demo.care.test", demo.Password)
	for _, j := range []*journey{players["decision"], players["communication"], observer} {
		j.open(fmt.Sprintf("/exercices/%d", id))
	}

	animator.submit("starting", `button[name="step"][value="start"]`)
	// The console's clock runs: exercise time as hh:mm, and the kit's simulated
	// time of day (from 8 h 00, two simulated minutes a minute) written in French.
	clock := []string{animator.text("#simulated-time")}
	time.Sleep(1500 * time.Millisecond)
	clock = append(clock, animator.text("#simulated-time"), animator.text("#elapsed"))
	if !regexp.MustCompile(`^\d{1,2} h \d{2}$`).MatchString(clock[1]) || clock[1] == clock[0] || !regexp.MustCompile(`^\d{2}:\d{2}$`).MatchString(clock[2]) {
		t.Errorf("the console's clock: simulated %q then %q, exercise time %q", clock[0], clock[1], clock[2])
	}
	for cell, j := range players {
		var got, live []string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(got) < len(want[cell]); time.Sleep(200 * time.Millisecond) {
			got = eval[[]string](j, `Array.from(document.querySelectorAll('#received li'), li => li.dataset.id)`)
		}
		live = eval[[]string](j, `Array.from(document.querySelectorAll('#received li.fresh'), li => li.dataset.id)`)
		if !slices.Equal(got, want[cell]) {
			t.Fatalf("the %s cell received %v, want %v", cell, got, want[cell])
		}
		for _, sid := range want[cell] {
			if !atStart[sid] && !slices.Contains(live, sid) {
				t.Fatalf("the %s cell did not receive stimulus %s live (received live: %v)", cell, sid, live)
			}
		}
		if html := eval[string](j, `document.documentElement.outerHTML`); strings.Contains(html, secret) {
			t.Errorf("the %s player's page shows an expected reaction", cell)
		}
	}

	// A decision is written; the other cell sees it arrive.
	players["decision"].submit("writing in the main courante", `#log-form button[type=submit]`,
		chromedp.SetValue(chromedp.ID("kind"), "decision"),
		chromedp.SendKeys(chromedp.ID("body"), "Bascule en mode dégradé papier pour les urgences."))
	var seen string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(seen, "mode dégradé"); time.Sleep(200 * time.Millisecond) {
		seen = eval[string](players["communication"], `document.getElementById('log').textContent`)
	}
	if !strings.Contains(seen, "mode dégradé papier") {
		t.Fatalf("the communication cell's log: %q", seen)
	}

	// The observer marks the first criterion.
	observer.submit("marking", `#grid tbody tr:first-child button[type=submit]`,
		chromedp.SetValue(chromedp.CSS(`#grid tbody tr:first-child select[name="score"]`), "2"),
		chromedp.SendKeys(chromedp.CSS(`#grid tbody tr:first-child input[name="note"]`), "Alerte de la direction en 12 minutes."))
	if got := observer.text("#grid tbody tr:first-child td:nth-child(2)"); !strings.Contains(got, "partiellement atteint") {
		t.Errorf("the grid after marking: %q", got)
	}

	// The animator ends the play and closes the RETEX.
	animator.open(fmt.Sprintf("/exercices/%d", id))
	// Ending the game asks first (issue 15 point 6: destructive actions confirm).
	asked := animator.answerDialog(true)
	animator.submit("finishing", `#finish button[type=submit]`)
	if q := <-asked; !strings.Contains(q, "Terminer le jeu") {
		t.Errorf("ending the game asked %q, want the question whether to end it", q)
	}
	animator.open(fmt.Sprintf("/exercices/%d/retex", id))
	if got := animator.text("#retex-grid"); !strings.Contains(got, "2 / 3 (1)") {
		t.Errorf("the RETEX grid: %q", got)
	}
	if got := animator.text("#retex-timeline"); !strings.Contains(got, "mode dégradé papier") {
		t.Errorf("the RETEX timeline does not set the decision against its stimulus: %q", got)
	}
	animator.submit("writing the conclusions", `form[action$="/retex"] button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("strengths"), "Cellule de crise réunie vite."),
		chromedp.SendKeys(chromedp.ID("improvements"), "Annuaire de crise papier à jour."))
	animator.submit("adding an action", `form[action$="/actions"] button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("title"), "Imprimer l'annuaire de crise chaque trimestre"),
		chromedp.SendKeys(chromedp.ID("owner"), "Secrétariat de direction"),
		chromedp.SetValue(chromedp.ID("due"), "2027-03-31"))
	animator.submit("closing the RETEX", `button[name="step"][value="close"]`)
	animator.wantH1("Lundi noir")
	if got := animator.text("h1 .badge"); !strings.Contains(got, "RETEX clos") {
		t.Errorf("status after closing: %q", got)
	}
}
