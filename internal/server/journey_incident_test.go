package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
)

// waitFor polls the JavaScript condition cond for up to d.
func (j *journey) waitFor(what, cond string, d time.Duration) {
	j.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if eval[bool](j, cond) {
			return
		}
	}
	j.t.Fatalf("on %s, %s never happened", j.path(), what)
}

// From declaration to qualification: CERT Santé watches the list of
// declarations; the CHU's RSSI opens a draft, which saves itself as it is
// filled, and submits it; the declaration appears on CERT Santé's list without
// a reload, and CERT Santé qualifies it, reads the degraded-mode sheets and
// writes in the timeline, which the RSSI's page shows without a reload.
func TestJourneyIncidentDeclarationToQualification(t *testing.T) {
	j := newJourney(t)
	cert := j.another()
	cert.login("cert@demo.care.test", demo.Password)
	cert.open("/incidents")
	before := len(cert.texts("#incidents tbody tr"))

	j.login("rssi@demo.care.test", demo.Password)
	chu := j.app.Org(t, "CHU de Port-Émeraude")
	j.open(fmt.Sprintf("/incidents/nouveau?org=%d", chu.ID))
	if status := j.submit("opening a draft", "#open-draft"); status != 200 {
		t.Fatalf("opening a draft: %d", status)
	}
	j.wantH1("Incident — CHU de Port-Émeraude")
	if got := j.text("#state"); got != "brouillon" {
		t.Fatalf("state of the new draft: %q", got)
	}
	// The autosave: leaving a changed field saves the draft, the page stays.
	page := j.path()
	j.do("typing the summary", chromedp.SendKeys(chromedp.ID("summary"), "Fichiers chiffrés sur le PACS"), chromedp.Click(chromedp.ID("perimeter")))
	j.waitFor("the autosave", `document.getElementById('save-status').textContent.includes('enregistré')`, 10*time.Second)
	if p := j.path(); p != page {
		t.Fatalf("the autosave left the page for %s", p)
	}
	// Submitting without the mandatory fields is refused, the draft stays.
	if status := j.submit("submitting an incomplete draft", "#submit"); status != 422 {
		t.Fatalf("incomplete submission: %d", status)
	}
	if got := j.text("#state"); got != "brouillon" {
		t.Fatalf("state after a refused submission: %q", got)
	}
	if got := eval[string](j, `document.getElementById('summary').value`); got != "Fichiers chiffrés sur le PACS" {
		t.Fatalf("the autosaved summary: %q", got)
	}
	eval[bool](j, `document.getElementById('save-status').textContent = ''; true`)
	j.do("filling the declaration",
		chromedp.Click(chromedp.ID("cat-care_safety")),
		chromedp.SetValue(chromedp.ID("occurred_at"), "2026-01-05T22:00"),
		chromedp.SetValue(chromedp.ID("detected_at"), "2026-01-06T06:30"),
		chromedp.SetValue(chromedp.ID("type"), "ransomware"),
		chromedp.SetValue(chromedp.ID("origin"), "malicious"),
		chromedp.SendKeys(chromedp.ID("perimeter"), "Serveurs d'imagerie"),
		chromedp.Click(chromedp.ID("degraded_mode")))
	j.waitFor("the autosaves", `document.getElementById('save-status').textContent.includes('enregistré') && !document.querySelector('.htmx-request')`, 10*time.Second)
	if status := j.submit("submitting the declaration", "#submit"); status != 200 {
		t.Fatalf("submission: %d", status)
	}
	if got := j.text("#state"); got != "soumis" {
		t.Fatalf("state after submission: %q", got)
	}
	summary := j.text("#copy-summary")
	if !strings.Contains(summary, "Rançongiciel") || !strings.Contains(summary, "Serveurs d'imagerie") {
		t.Errorf("copy-ready summary: %q", summary)
	}

	// CERT Santé's list shows the new declaration by itself (its live stream).
	cert.waitFor("the new declaration on CERT Santé's list", fmt.Sprintf(`document.querySelectorAll('#incidents tbody tr').length > %d`, before), 15*time.Second)
	cert.open(page)
	if got := cert.text("#declarant"); !strings.Contains(got, "rssi@demo.care.test") {
		t.Errorf("the declarant as CERT Santé sees it: %q", got)
	}
	if status := cert.submit("qualifying", "#qualify-submit", chromedp.SetValue(chromedp.ID("severity"), "high")); status != 200 {
		t.Fatalf("qualification: %d", status)
	}
	if got := cert.text("#state"); got != "qualifié" {
		t.Fatalf("state after qualification: %q", got)
	}
	if got := cert.text("#qualification"); !strings.Contains(got, "élevée") {
		t.Errorf("qualification shown: %q", got)
	}
	// The degraded mode is declared: CERT Santé reads the CHU's sheets there.
	if got := cert.text("#h-sheets"); !strings.Contains(got, "Fiches de mode dégradé") {
		t.Errorf("CERT Santé's page shows no degraded-mode sheet: %q", got)
	}
	// CERT Santé writes in the shared timeline; the RSSI's page shows it by itself.
	if status := cert.submit("writing in the timeline", "#entry-submit", chromedp.SendKeys(chromedp.ID("text"), "Isolez les serveurs d'imagerie")); status != 200 {
		t.Fatalf("timeline entry: %d", status)
	}
	j.waitFor("CERT Santé's entry on the RSSI's page", `(document.getElementById('timeline') || {textContent: ''}).textContent.includes("Isolez les serveurs")`, 15*time.Second)
}
