package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
)

// The continuity manager adds an activity to a site, fills its BIA in the browser,
// sees the DMIA it gives and the gap table, downloads the PCRA (which records no
// version) and then generates a new version on purpose.
func TestJourneyContinuityBIA(t *testing.T) {
	j := newJourney(t)
	j.login("pcra@demo.care.test", demo.Password)
	chu := j.app.Org(t, "CHU de Port-Émeraude")
	sud := j.app.Org(t, "CHU de Port-Émeraude — Hôpital Sud")
	j.open(fmt.Sprintf("/continuite?org=%d", chu.ID))
	j.do("choosing the sterilisation of the southern site",
		chromedp.SetValue(chromedp.ID("catalogue_id"), "sterilisation"),
		chromedp.SetValue(chromedp.ID("act-site"), fmt.Sprint(sud.ID)))
	if status := j.submit("adding the activity", `form[action$="/activites"] button[type=submit]`); status != 200 {
		t.Fatalf("adding the activity: %d", status)
	}
	j.wantH1("Stérilisation")
	if got := j.text("#dmia"); got != "—" {
		t.Fatalf("DMIA before the BIA: %q", got)
	}
	// Patient safety becomes unacceptable at 24 h; the other criteria stay low.
	var steps []chromedp.Action[chromedp.Void]
	for h, level := range map[string]string{"1h": "1", "4h": "2", "24h": "4", "72h": "4", "1w": "4", "1m": "4"} {
		steps = append(steps, chromedp.SetValue(chromedp.ID("i-patient_safety-"+h), level))
	}
	steps = append(steps, chromedp.SetValue(chromedp.ID("pdma"), "4"))
	// It depends critically on the sterilisation traceability application.
	id := eval[string](j, `(() => { const row = Array.from(document.querySelectorAll('input[name^="dep_"]')).find(i => i.closest('tr').textContent.includes('stérilisation')); return row ? row.name.slice(4) : ''; })()`)
	if id == "" {
		t.Fatal("no sterilisation traceability application in the register")
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="dep_`+id+`"]`)), chromedp.Click(chromedp.CSS(`input[name="crit_`+id+`"]`)))
	j.do("filling the BIA", steps...)
	if status := j.submit("saving the BIA", `form[action^="/continuite/activites/"] button[type=submit]`); status != 200 {
		t.Fatalf("saving the BIA: %d", status)
	}
	if got := j.text("#dmia"); got != "24 h" {
		t.Fatalf("DMIA after the BIA: %q, want 24 h", got)
	}

	// The gap table: the traceability application restores in 24 h, needed within 24 h.
	j.open(fmt.Sprintf("/continuite?org=%d&onglet=reprise", chu.ID))
	rows := j.texts("#gaps tbody tr")
	var line string
	for _, r := range rows {
		if strings.Contains(r, "stérilisation") {
			line = r
		}
	}
	if !strings.Contains(line, "24 h") {
		t.Errorf("gap table line for the traceability application: %q", line)
	}

	// Download the plan from the page's DOCX link as the browser would (same
	// origin, session cookie): a GET that names the establishment and the day.
	j.open(fmt.Sprintf("/continuite?org=%d&onglet=document", chu.ID))
	versions := len(j.texts("#versions tbody tr"))
	got, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](`fetch(Array.from(document.querySelectorAll('#downloads a')).find(a => a.href.endsWith('format=docx')).href).then(async r => r.status + '|' + r.headers.get('content-type') + '|' + r.headers.get('content-disposition') + '|' + (await r.arrayBuffer()).byteLength)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(got, "|")
	if len(parts) != 4 || parts[0] != "200" || !strings.Contains(parts[1], "wordprocessingml") || !strings.Contains(parts[2], "pcra-chu-de-port-emeraude-") || len(parts[3]) < 4 {
		t.Errorf("PCRA download: %q", got)
	}
	j.open(fmt.Sprintf("/continuite?org=%d&onglet=document", chu.ID))
	if n := len(j.texts("#versions tbody tr")); n != versions {
		t.Errorf("the download recorded a version: %d rows, was %d", n, versions)
	}
	// "Générer une nouvelle version" is its own action.
	if status := j.submit("generating a new version", `#new-version button[type=submit]`); status != 200 {
		t.Fatalf("generating a new version: %d", status)
	}
	if n := len(j.texts("#versions tbody tr")); n != versions+1 {
		t.Errorf("after a new version: %d rows, want %d", n, versions+1)
	}
}
