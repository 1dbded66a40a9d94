package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
)

// The kit-level grid, filled in the browser one click at a time (each answer is
// saved by htmx, conditional questions appear as their condition is met), then
// submitted and validated by the direction, who sees the radar and the level.
func TestJourneyKitLevelGrid(t *testing.T) {
	j := newJourneyFor(t, 3*journeyTimeout) // seven themes, one page each
	j.login("direction@demo.care.test", demo.Password)
	j.open("/autoevaluations")
	chu := eval[string](j, `Array.from(document.querySelectorAll('#org option')).find(o => o.textContent.startsWith('CHU de Port-Émeraude (')).value`)
	grid := eval[string](j, `Array.from(document.querySelectorAll('#questionnaire option')).find(o => o.textContent.startsWith("Grille d'autoévaluation")).value`)
	j.do("choosing the grid and the CHU", chromedp.SetValue(chromedp.ID("questionnaire"), grid), chromedp.SetValue(chromedp.ID("org"), chu))
	if status := j.submit("starting the assessment", `form[action="/autoevaluations"] button[type=submit]`); status != 200 {
		t.Fatalf("starting the assessment: status %d", status)
	}
	if !strings.HasPrefix(j.path(), "/autoevaluations/") {
		t.Fatalf("after starting, the browser is on %s", j.path())
	}

	// Answer the first unanswered visible question with its best graded option,
	// and wait for htmx to save it (the progress counter moves), until none is left.
	const nextQuestion = `(() => {
	  const f = Array.from(document.querySelectorAll('fieldset.question')).find(f => !f.hidden && !f.querySelector('input[type=radio]:checked'));
	  if (!f) return '';
	  const radios = Array.from(f.querySelectorAll('input[type=radio]')).filter(r => r.value !== 'nsp' && r.value !== 'na');
	  return '#' + f.id + ' input[value="' + radios[radios.length - 1].value + '"]';
	})()`
	// Read in one script: htmx may be swapping the counter at that moment.
	progressText := func() string {
		return eval[string](j, `(document.getElementById('progress-label') || {textContent: ''}).textContent.trim()`)
	}
	answered := 0
	for range 100 {
		sel := eval[string](j, nextQuestion)
		if sel == "" {
			// One theme per step: the summary leads to the next unanswered question.
			if !eval[bool](j, `document.getElementById('first-unanswered') !== null`) {
				break
			}
			// A fresh page, without the fragment: the link may name this very page
			// while htmx saved its last answers.
			href := eval[string](j, `(() => { const u = new URL(document.getElementById('first-unanswered').href); return u.pathname + u.search; })()`)
			j.open(href)
			continue
		}
		before := progressText()
		j.do("answering "+sel, chromedp.Click(chromedp.CSS(sel)))
		deadline := time.Now().Add(5 * time.Second)
		for progressText() == before {
			if time.Now().After(deadline) {
				t.Fatalf("the answer %s was not saved (progress still %q; status %q)", sel, before, eval[string](j, `(document.getElementById("save-status") || {textContent: ""}).textContent`))
			}
			time.Sleep(30 * time.Millisecond)
		}
		// Let htmx finish swapping in the questions that just appeared.
		for eval[bool](j, `document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling') !== null`) {
			if time.Now().After(deadline) {
				t.Fatalf("htmx never settled after %s", sel)
			}
			time.Sleep(20 * time.Millisecond)
		}
		answered++
	}
	progress := progressText()
	if answered < 25 || !strings.HasPrefix(progress, strings.Fields(progress)[0]+" questions répondues sur "+strings.Fields(progress)[0]) {
		t.Fatalf("answered %d questions; progress %q", answered, progress)
	}
	// The answers are in the database, not only on the page.
	j.open(strings.SplitN(j.path(), "?", 2)[0])
	if got := progressText(); got != progress {
		t.Fatalf("after reloading, progress %q, want %q", got, progress)
	}

	j.submit("submitting", `form[action$="/soumettre"] button`)
	if got := j.text(".flash"); !strings.Contains(got, "soumise") {
		t.Fatalf("after submitting: %q", got)
	}
	j.submit("validating", `form[action$="/valider"] button`)
	if !strings.HasSuffix(j.path(), "/resultats") {
		t.Fatalf("after validating, the browser is on %s", j.path())
	}
	if got := j.text("#level"); got != "Confirmé" {
		t.Errorf("level %q, want Confirmé (every answer at its best)", got)
	}
	if n := eval[int](j, `document.querySelectorAll('svg.radar polygon').length`); n < 5 {
		t.Errorf("the radar has %d polygons", n)
	}
	if got := j.text(".level-card .stat"); got != "100 %" {
		t.Errorf("overall score %q, want 100 %%", got)
	}
}
