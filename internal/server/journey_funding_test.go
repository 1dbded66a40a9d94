package server_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/testkit"
)

// A candidature in the browser from its submission to the ARS validation
// (issue 14 point 9): the CHU's RSSI candidates to the open call; the ARS
// referent accepts it with a reason; the RSSI deposits a link on O1.A during the
// operational phase; the direction signs the declaration with the amount
// requested; the ARS accepts the objective, which the page then shows.
func TestJourneyFundingCandidature(t *testing.T) {
	// Three people log in, one of them with a second factor: more steps than
	// the other journeys, so a longer deadline.
	ctx, cancel := context.WithTimeout(testkit.NewBrowser(t), 3*journeyTimeout)
	t.Cleanup(cancel)
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := &journey{t: t, app: app, ctx: ctx}
	testkit.FundingCalls(t, app, testkit.DatedCall("d2-journey"))
	var clock atomic.Int64
	move := func(s string) { d, _ := time.Parse(time.DateOnly, s); clock.Store(d.Add(10 * time.Hour).UnixNano()) }
	app.Server.Funding.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	move("2030-01-10")
	chu := app.Org(t, "CHU de Port-Émeraude")

	rssi.login("rssi@demo.care.test", demo.Password)
	rssi.open(fmt.Sprintf("/financement/candidatures?org=%d", chu.ID))
	if status := rssi.submit("candidating", `form[action^="/financement/candidatures?org="] button[type=submit]`,
		chromedp.SetValue(chromedp.ID("call"), "d2-journey")); status != 200 {
		t.Fatalf("candidating: %d", status)
	}
	rssi.wantH1("Candidature de CHU de Port-Émeraude")
	page := rssi.path()
	if !regexp.MustCompile(`^/financement/candidatures/\d+`).MatchString(page) {
		t.Fatalf("after candidating the browser is on %s", page)
	}
	page = strings.SplitN(page, "#", 2)[0]
	id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/financement/candidatures/"), 10, 64)
	if got := rssi.text("#state"); got != "En instruction" {
		t.Fatalf("state after submission: %q", got)
	}

	ars := rssi.another()
	ars.login("ars@demo.care.test", demo.Password)
	move("2030-01-20")
	ars.open(page)
	if status := ars.submit("accepting", `form.decision button[value="accept"]`,
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("reason-%d", id)), "Dossier complet.")); status != 200 {
		t.Fatalf("accepting: %d", status)
	}
	if got := ars.text("#state"); got != "Acceptée" {
		t.Fatalf("state after the decision: %q", got)
	}

	move("2030-03-15")
	rssi.open(page)
	if status := rssi.submit("adding a link", `#evidence-form button[type=submit]`,
		chromedp.SetValue(chromedp.ID("ev-objective"), "O1.A"),
		chromedp.SetValue(chromedp.ID("ev-kind"), "link"),
		chromedp.SendKeys(chromedp.ID("ev-title"), "Compte rendu du COMEX"),
		chromedp.SendKeys(chromedp.ID("ev-url"), "https://intranet.chu.example/comex")); status != 200 {
		t.Fatalf("adding a link: %d", status)
	}
	if got := rssi.text(`tr[data-code="O1.A"] .evidence`); !strings.Contains(got, "Compte rendu du COMEX") {
		t.Fatalf("O1.A's evidence: %q", got)
	}

	direction := rssi.another()
	direction.login("direction@demo.care.test", demo.Password)
	move("2030-09-10")
	direction.open(page)
	if status := direction.submit("signing the declaration", `#declaration-form button[type=submit]`,
		chromedp.Click(chromedp.CSS(`#declaration-form input[value="O1.A"]`)),
		chromedp.SendKeys(chromedp.ID("amount-requested-in"), "50000")); status != 200 {
		t.Fatalf("signing: %d", status)
	}
	if got := direction.text("#state"); got != "Déclaration signée" {
		t.Fatalf("state after the declaration: %q", got)
	}

	move("2030-10-05")
	ars.open(page)
	if status := ars.submit("verifying O1.A", `form[action$="/objectifs/O1.A/verification"] button[value="accept"]`); status != 200 {
		t.Fatalf("verifying: %d", status)
	}
	if got := ars.text(`tr[data-code="O1.A"] [data-state]`); got != "Accepté par l'ARS" {
		t.Errorf("O1.A after the verification: %q", got)
	}
	if got := ars.text("#state"); got != "Vérifiée par l'ARS" {
		t.Errorf("state after the verification: %q", got)
	}
}
