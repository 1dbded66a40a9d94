package server_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/testkit/tcp"
)

// The administrator declares a loopback address (lab mode), starts a scan, watches
// it end in the page, filters the findings, takes a finding in hand and downloads
// the spreadsheet and the report for the ARS.
func TestJourneyExposureScan(t *testing.T) {
	telnet := tcp.Listen(t, "127.0.79.1:0", tcp.Greeting([]byte("\xff\xfd\x18\xff\xfd\x20")))
	web, err := net.Listen("tcp", "127.0.79.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go srv.Serve(web)
	t.Cleanup(func() { srv.Close() })
	telnetPort := tcp.Port(telnet)

	// A minute: the journey scans, refuses two forms and renders a PDF, which
	// took over 30 s on a loaded machine.
	j := newJourneyFor(t, time.Minute)
	j.login("admin@demo.care.test", demo.Password)
	ch := j.app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes") // no declared edge in the demo
	j.open(fmt.Sprintf("/exposition?org=%d", ch.ID))
	j.wantH1("Exposition")

	// Without a declared target "Lancer l'audit" is refused, with the reason in
	// the scan form, and the address bar shows the page, not the post's address
	// (issue 15 point 6).
	page := fmt.Sprintf("/exposition?org=%d", ch.ID)
	if status := j.submit("a scan without target", `#scan-form button[type=submit]`); status != 422 {
		t.Fatalf("a scan without target: %d", status)
	}
	if got := j.text(`#scan-form .field-error`); !strings.Contains(got, "Aucune cible à auditer") {
		t.Errorf("the scan form says %q beside its fields, want the missing target", got)
	}
	if got := j.text(`#error-summary`); !strings.Contains(got, "Aucune cible à auditer") {
		t.Errorf("the summary of the refused scan says %q, want the missing target", got)
	}
	if p := j.path(); p != page {
		t.Errorf("after the refused scan the address bar shows %s, want %s", p, page)
	}

	// Without the attestation the target is refused, with a message by the field.
	if status := j.submit("a target without attestation", `form[action$="/cibles"] button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("value"), "127.0.79.1")); status != 422 {
		t.Fatalf("a target without attestation: %d", status)
	}
	if got := j.text(`form[action$="/cibles"] .field-error`); got == "" {
		t.Error("no message by the attestation box")
	}
	if p := j.path(); p != page {
		t.Errorf("after the refused target the address bar shows %s, want %s", p, page)
	}
	j.submit("declaring the target", `form[action$="/cibles"] button[type=submit]`,
		chromedp.SetValue(chromedp.ID("value"), "127.0.79.1"),
		chromedp.SendKeys(chromedp.ID("owner"), "DSI"),
		chromedp.Click(chromedp.CSS(`input[name="attested"]`)))
	if rows := strings.Join(j.texts("section[aria-labelledby=h-inv] tbody tr"), "\n"); !strings.Contains(rows, "127.0.79.1") {
		t.Fatalf("inventory after adding: %q", rows)
	}

	ports := fmt.Sprintf("%d,%d", telnetPort, tcp.Port(web))
	j.submit("starting the scan", `form[action$="/analyses"] button[type=submit]`,
		chromedp.SetValue(chromedp.ID("ports"), ports),
		chromedp.Click(chromedp.CSS(`input[name="lab"]`)))
	// The scans table polls while the scan runs, then the page reloads with the level.
	var level string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		level = eval[string](j, `(document.querySelector('#level') || {}).textContent || ''`)
		if strings.Contains(level, "/ 5") {
			break
		}
	}
	if strings.TrimSpace(level) != "3 / 5" {
		t.Fatalf("exposure level after the scan: %q (scans: %q)", level, j.texts("#scans tbody tr"))
	}
	// The page may still be reloading: wait for its findings table.
	var rows []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = eval[[]string](j, `document.readyState === 'complete' ? Array.from(document.querySelectorAll('#findings tbody tr.finding'), e => e.textContent.trim()) : []`)
		if telnetRow(rows, telnetPort) {
			break
		}
	}
	if !telnetRow(rows, telnetPort) {
		t.Fatalf("findings: %q", rows)
	}

	// Accepting a risk without justification nor expiry is refused; the page
	// itself puts each reason beside its field in that finding's form (care.js),
	// whose fields are marked invalid.
	action := eval[string](j, `document.querySelector('#findings tr.status-row form').getAttribute('action')`)
	if status := j.submit("accepting a risk without justification", `#findings tr.status-row form button[type=submit]`,
		chromedp.Click(chromedp.CSS(`#findings tr.status-row summary`)),
		chromedp.SetValue(chromedp.CSS(`#findings tr.status-row select[name="status"]`), "accepted")); status != 422 {
		t.Fatalf("accepting a risk without justification: %d", status)
	}
	beside := `form[action=` + js(action) + `] `
	if got := j.texts(beside + `.field-error`); len(got) != 2 {
		t.Errorf("the refused finding's form shows %q beside its fields, want the justification and the expiry", got)
	}
	if got := eval[string](j, `document.querySelector(`+js(beside+`input[name="justification"]`)+`).getAttribute('aria-invalid') || ''`); got != "true" {
		t.Errorf("the justification field is not marked invalid (%q)", got)
	}

	// Filter on high findings: the telnet one stays, the medium header ones go.
	j.submit("filtering", `#h-findings ~ form button[type=submit]`, chromedp.SetValue(chromedp.ID("gravite"), "high"))
	high := j.texts("#findings tbody tr.finding")
	if len(high) == 0 || len(high) >= len(rows) {
		t.Fatalf("%d high findings out of %d", len(high), len(rows))
	}
	for _, r := range high {
		if !strings.Contains(r, "élevée") {
			t.Errorf("a row that is not high after filtering: %q", r)
		}
	}

	// Take the first one in hand, in its labelled panel.
	j.submit("taking a finding in hand", `#findings tr.status-row form button[type=submit]`,
		chromedp.Click(chromedp.CSS(`#findings tr.status-row summary`)),
		chromedp.SetValue(chromedp.CSS(`#findings tr.status-row select[name="status"]`), "in_progress"))
	if got := eval[string](j, `document.querySelector('#findings tr.status-row select[name="status"]').value`); got != "in_progress" {
		t.Errorf("status after saving: %q", got)
	}

	for path, kind := range map[string]string{
		fmt.Sprintf("/exposition/noeud/%d/constats.xlsx", ch.ID): "spreadsheetml",
		fmt.Sprintf("/exposition/noeud/%d/rapport.pdf", ch.ID):   "application/pdf",
	} {
		got, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%s).then(async r => r.status + '|' + r.headers.get('content-type') + '|' + (await r.arrayBuffer()).byteLength)`, js(path)), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(got, "|")
		if len(parts) != 3 || parts[0] != "200" || !strings.Contains(parts[1], kind) || len(parts[2]) < 4 {
			t.Errorf("%s: %q", path, got)
		}
	}
}

// telnetRow reports whether a row of the findings names the telnet service on
// the lab address.
func telnetRow(rows []string, port int) bool {
	for _, r := range rows {
		if strings.Contains(r, "127.0.79.1") && strings.Contains(r, fmt.Sprintf("port %d", port)) {
			return true
		}
	}
	return false
}
