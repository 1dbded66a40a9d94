package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/account"
	"care/internal/demo"
	"care/internal/testkit"
)

// An administrator requires passkeys of GHT RSSIs (issue 18 point 8); a GHT
// RSSI who logs in with a password and a code is taken to the page that
// raises the session, registers a passkey there with Chromium's virtual
// authenticator, and reaches their home in the same session, now opened with
// a passkey.
func TestJourneyPolicyRequiresPasskey(t *testing.T) {
	j, authenticator := newPasskeyJourney(t, testkit.SQLite(t))
	app := j.app
	authenticator()

	j.login("admin@demo.care.test", demo.Password)
	j.open("/administration/identite")
	j.submit("requiring passkeys of GHT RSSIs", `form[action="/administration/identite/politique"] button[type=submit]`,
		chromedp.Click(chromedp.CSS(`input[name="ways.rssi_ght"][value="passkey"]`)))
	if p, flash := j.path(), j.text("main"); p != "/administration/identite" || !strings.Contains(flash, "Politique d'authentification enregistrée") {
		t.Fatalf("after saving the policy: on %s", p)
	}
	j.do("logging out", chromedp.Click(chromedp.CSS(`form[action="/deconnexion"] button`)))
	j.waitPath("/connexion")
	j.submit("the GHT RSSI's password", `form[action="/connexion"] button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("email"), "rssi.ght@demo.care.test"), chromedp.SendKeys(chromedp.ID("password"), demo.Password))
	code, _ := account.TOTPCode(demo.TOTPSecret, account.TOTPStep(time.Now()))
	j.submit("the GHT RSSI's code", `form[action="/connexion/code"] button[type=submit]`, chromedp.SendKeys(chromedp.ID("code"), code))
	if p := j.path(); p != "/connexion/double-facteur" {
		t.Fatalf("a password and a code under a passkey-only policy: on %s, want the raising page", p)
	}
	j.wantH1("Renforcer la connexion")
	j.open("/organisations")
	if p := j.path(); p != "/connexion/double-facteur" {
		t.Fatalf("a page before raising: on %s", p)
	}
	j.do("registering a passkey", chromedp.SendKeys(chromedp.ID("passkey-name"), "Poste du GHT"), chromedp.Click(chromedp.CSS("#passkey-register button[type=submit]")))
	if p := j.waitPath("/"); p != "/" {
		t.Fatalf("after registering the passkey: on %s (%s)", p, j.text("#passkey-status"))
	}
	j.wantH1("Bonjour")
	testkit.Screenshot(t, j.ctx)
	var method string
	if err := app.DB.Read.QueryRowContext(t.Context(), "SELECT s.method FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'rssi.ght@demo.care.test'").Scan(&method); err != nil || method != account.MethodPasskey {
		t.Errorf("the GHT RSSI's one session: method %q (%v), want passkey", method, err)
	}
}

// waitPath waits up to ten seconds for the browser to reach path, and returns
// where it is.
func (j *journey) waitPath(path string) string {
	j.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`location.pathname === `+js(path)+` && document.readyState === "complete"`)); err == nil && ok {
			break
		}
	}
	return j.path()
}
