package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// Passkeys in a real browser with Chromium's virtual authenticators (CTAP2,
// resident keys, user verification): a person registers two (one per
// authenticator), renames one, logs in with a passkey alone, and the sessions
// list says so; a passkey the server files under another account, and a revoked
// one, open nothing.
// It runs on both engines: the passkeys' queries are only reached through a
// real authenticator.
func TestJourneyPasskeys(t *testing.T) {
	testkit.Engines(t, passkeyJourney)
}

// newPasskeyJourney is a journey in a browser with WebAuthn enabled, on an app
// reached as localhost (WebAuthn wants a domain as relying party); authenticator
// adds a virtual authenticator (CTAP2, resident keys, user verification) and
// returns its id.
func newPasskeyJourney(t *testing.T, d *db.DB) (*journey, func() webauthn.AuthenticatorID) {
	t.Helper()
	browser := testkit.NewBrowser(t)
	app := testkit.NewApp(t, d, func(c *server.Config) { c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1) })
	app.URL = strings.Replace(app.URL, "127.0.0.1", "localhost", 1)
	ctx, cancel := context.WithTimeout(browser, 2*journeyTimeout)
	t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	authenticator := func() webauthn.AuthenticatorID {
		res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		if err != nil {
			t.Fatal(err)
		}
		return res.AuthenticatorID
	}
	return &journey{t: t, app: app, ctx: ctx}, authenticator
}

func passkeyJourney(t *testing.T, d *db.DB) {
	j, authenticator := newPasskeyJourney(t, d)
	app, ctx := j.app, j.ctx
	// waitFor polls the page until expr is true.
	waitFor := func(what, expr string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
				return
			}
		}
		t.Fatalf("%s: still not so on %s", what, j.path())
	}
	register := func(name string) {
		t.Helper()
		j.open("/profil")
		j.do("naming the passkey "+name, chromedp.SendKeys(chromedp.ID("passkey-name"), name), chromedp.Click(chromedp.CSS("#passkey-register button[type=submit]")))
		waitFor("registering "+name, `Array.from(document.querySelectorAll('#passkeys input[name=name]')).some(i => i.value === `+js(name)+`)`)
	}
	passkeyLogin := func() {
		t.Helper()
		j.open("/connexion")
		j.do("choosing the passkey", chromedp.Click(chromedp.ID("passkey-login")))
		waitFor("the passkey login", `location.pathname === "/" || !document.getElementById("passkey-login-status").hidden`)
	}
	logout := func() {
		t.Helper()
		j.do("logging out", chromedp.Click(chromedp.CSS(`form[action="/deconnexion"] button`)))
		waitFor("logging out", `location.pathname === "/connexion"`)
	}

	first := authenticator()
	j.login("rssi@demo.care.test", demo.Password)
	register("Ordinateur du bureau")
	if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: first}); err != nil {
		t.Fatal(err)
	}
	authenticator()
	register("Téléphone")
	j.submit("renaming the first passkey", `#passkeys tr:first-child form[action$="/renommer"] button`,
		chromedp.SetValue(chromedp.CSS(`#passkeys tr:first-child input[name=name]`), "Poste du bureau"))
	if names := eval[[]string](j, `Array.from(document.querySelectorAll('#passkeys input[name=name]'), i => i.value)`); strings.Join(names, ",") != "Poste du bureau,Téléphone" {
		t.Fatalf("passkeys after renaming: %q", names)
	}

	logout()
	passkeyLogin()
	if p := j.path(); p != "/" {
		t.Fatalf("after the passkey login the browser is on %s: %s", p, j.text("#passkey-login-status"))
	}
	j.open("/profil")
	if got := j.text("tr:has(.badge) .session-method"); got != "clé d'accès · niveau eIDAS substantiel" {
		t.Errorf("the sessions list says %q", got)
	}
	testkit.Screenshot(t, j.ctx)

	// The server files the phone's passkey under another account: the
	// authenticator still names rssi, and the login is refused.
	move := func(to string) {
		t.Helper()
		if _, err := app.DB.Write.ExecContext(t.Context(), "UPDATE passkeys SET user_id = (SELECT id FROM users WHERE email = $1) WHERE name = 'Téléphone'", to); err != nil {
			t.Fatal(err)
		}
	}
	logout()
	move("lecteur@demo.care.test")
	passkeyLogin()
	if p, msg := j.path(), j.text("#passkey-login-status"); p != "/connexion" || !strings.Contains(msg, "n'ouvre aucun compte actif") {
		t.Fatalf("another account's passkey: on %s, message %q", p, msg)
	}
	move("rssi@demo.care.test")

	passkeyLogin()
	j.open("/profil")
	j.submit("revoking the phone's passkey", `#passkeys tr:last-child form[action$="/supprimer"] button`)
	logout()
	passkeyLogin()
	if p, msg := j.path(), j.text("#passkey-login-status"); p != "/connexion" || !strings.Contains(msg, "n'ouvre aucun compte actif") {
		t.Fatalf("a revoked passkey: on %s, message %q", p, msg)
	}
	var logins, failures int
	_ = app.DB.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'account.passkey_login'").Scan(&logins)
	_ = app.DB.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'account.passkey_failure'").Scan(&failures)
	if logins != 2 || failures != 2 {
		t.Errorf("trail: %d passkey logins, %d refusals; want 2 and 2", logins, failures)
	}
}
