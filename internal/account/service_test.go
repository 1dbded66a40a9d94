package account_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

func TestAccountsContract(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		accounts := app.Server.Accounts
		ctx := t.Context()

		t.Run("wrong passwords are throttled per account", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				if _, err := accounts.Authenticate(ctx, "dsi@demo.care.test", "wrong password", "127.0.0.9"); !problem.Is(err, problem.Unauthorized) {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if _, err := accounts.Authenticate(ctx, "DSI@demo.care.test ", demo.Password, "127.0.0.10"); !problem.Is(err, problem.TooMany) {
				t.Fatalf("sixth attempt, right password, other address: %v, want throttled", err)
			}
			if _, err := accounts.Authenticate(ctx, "nobody@demo.care.test", demo.Password, "127.0.0.9"); !problem.Is(err, problem.Unauthorized) {
				t.Fatalf("unknown account: %v", err)
			}
		})

		t.Run("a password alone opens only the TOTP step, a code once", func(t *testing.T) {
			c := app.Browser(t)
			resp := app.PostForm(t, c, "/connexion", url.Values{"email": {"ars@demo.care.test"}, "password": {demo.Password}})
			if resp.Header.Get("Location") != "/connexion/code" {
				t.Fatalf("after password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp := app.Get(t, c, "/organisations"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion/code" {
				t.Fatalf("half-open session reached a page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp := app.PostForm(t, c, "/connexion/code", url.Values{"code": {"000000"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("wrong code: %d", resp.StatusCode)
			}
			code, _ := account.TOTPCode(demo.TOTPSecret, account.TOTPStep(time.Now()))
			if resp := app.PostForm(t, c, "/connexion/code", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Fatalf("right code: %d", resp.StatusCode)
			}
			if resp := app.Get(t, c, "/organisations"); resp.StatusCode != http.StatusOK {
				t.Fatalf("after the code: %d", resp.StatusCode)
			}
			// The same code in a second login is refused: codes are single-use.
			c2 := app.Browser(t)
			app.PostForm(t, c2, "/connexion", url.Values{"email": {"ars@demo.care.test"}, "password": {demo.Password}})
			if resp := app.PostForm(t, c2, "/connexion/code", url.Values{"code": {code}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("replayed code: %d", resp.StatusCode)
			}
		})

		t.Run("a role that requires TOTP forces enrolment", func(t *testing.T) {
			root := app.Org(t, "R02")
			u, password, err := accounts.Create(ctx, account.NewUser{Email: "new.ars@demo.care.test", Name: "Nouvel ARS", Role: "referent_ars", OrgID: root.ID})
			if err != nil {
				t.Fatal(err)
			}
			c := app.Browser(t)
			resp := app.PostForm(t, c, "/connexion", url.Values{"email": {u.Email}, "password": {password}})
			if resp.Header.Get("Location") != "/connexion/mot-de-passe" {
				t.Fatalf("first login of an ARS referent: %s", resp.Header.Get("Location"))
			}
			// The one-time password is spent: a second login with it is refused.
			if resp := app.PostForm(t, app.Browser(t), "/connexion", url.Values{"email": {u.Email}, "password": {password}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("one-time password used twice: %d", resp.StatusCode)
			}
			// Nothing but the new password is reachable before it is chosen.
			if resp := app.Get(t, c, "/"); resp.Header.Get("Location") != "/connexion/mot-de-passe" {
				t.Fatalf("home before the new password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp := app.PostForm(t, c, "/connexion/mot-de-passe", url.Values{"password": {"short"}, "confirm": {"short"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("short first password: %d", resp.StatusCode)
			}
			resp = app.PostForm(t, c, "/connexion/mot-de-passe", url.Values{"password": {"mon-propre-secret-2026"}, "confirm": {"mon-propre-secret-2026"}})
			if resp.Header.Get("Location") != "/connexion/double-facteur" {
				t.Fatalf("after the first password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			page := testkit.BodyOf(app.Get(t, c, "/connexion/double-facteur"))
			secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
			if secret == nil {
				t.Fatalf("no secret on the enrolment page")
			}
			if resp := app.Get(t, c, "/"); resp.Header.Get("Location") != "/connexion/double-facteur" {
				t.Fatalf("home before enrolment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			code, _ := account.TOTPCode(secret[1], account.TOTPStep(time.Now()))
			if resp := app.PostForm(t, c, "/connexion/double-facteur", url.Values{"code": {code}}); resp.Header.Get("Location") != "/" {
				t.Fatalf("enrolment: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), testkit.BodyOf(resp))
			}
			if resp := app.Get(t, c, "/"); resp.StatusCode != http.StatusOK {
				t.Fatalf("home after enrolment: %d", resp.StatusCode)
			}
		})

		t.Run("sessions: listed, revocable, idle and absolute timeouts", func(t *testing.T) {
			c1, c2 := app.Login(t, "rssi@demo.care.test"), app.Login(t, "rssi@demo.care.test")
			u, _ := accounts.ByEmail(ctx, "rssi@demo.care.test")
			page := testkit.BodyOf(app.Get(t, c1, "/profil"))
			handles := regexp.MustCompile(`/profil/sessions/([0-9a-f]{16})/revoquer`).FindAllStringSubmatch(page, -1)
			if len(handles) < 1 {
				t.Fatalf("the profile lists no other session")
			}
			if resp := app.PostForm(t, c1, "/profil/sessions/"+handles[0][1]+"/revoquer", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			if resp := app.Get(t, c2, "/profil"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoked session still works: %d", resp.StatusCode)
			}
			if err := accounts.RevokeSession(ctx, u.ID+1, handles[0][1]); !problem.Is(err, problem.NotFound) {
				t.Fatalf("revoking someone else's session: %v", err)
			}
			// Idle: a session unused for longer than the idle timeout ends.
			if _, err := d.Write.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE user_id = $2", db.Now().Add(-account.DefaultIdleTimeout-time.Minute), u.ID); err != nil {
				t.Fatal(err)
			}
			if resp := app.Get(t, c1, "/profil"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("idle session still works: %d", resp.StatusCode)
			}
			// Absolute: past its end a session ends however busy it is.
			c3 := app.Login(t, "rssi@demo.care.test")
			if _, err := d.Write.ExecContext(ctx, "UPDATE sessions SET expires_at = $1 WHERE user_id = $2", db.Now().Add(-time.Second), u.ID); err != nil {
				t.Fatal(err)
			}
			if resp := app.Get(t, c3, "/profil"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("expired session still works: %d", resp.StatusCode)
			}
			// Logout ends the session for good.
			c4 := app.Login(t, "rssi@demo.care.test")
			app.PostForm(t, c4, "/deconnexion", nil)
			if resp := app.Get(t, c4, "/profil"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("session alive after logout: %d", resp.StatusCode)
			}
		})

		t.Run("tokens: shown once, hashed, revocable, expiring, with last use", func(t *testing.T) {
			u, _ := accounts.ByEmail(ctx, "direction@demo.care.test")
			tok, secret, err := accounts.CreateToken(ctx, u.ID, "export", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(t, d, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR prefix = $1", secret); n != 0 {
				t.Fatal("the token is stored in clear")
			}
			if resp := app.API(t, secret, "GET", "/api/v1/me", nil, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("fresh token: %d", resp.StatusCode)
			}
			list, _ := accounts.Tokens(ctx, u.ID)
			if len(list) != 1 || list[0].LastUsedAt == nil {
				t.Fatalf("last use not recorded: %+v", list)
			}
			if err := accounts.RevokeToken(ctx, u.ID+1, tok.ID); !problem.Is(err, problem.NotFound) {
				t.Fatalf("revoking another user's token: %v", err)
			}
			if err := accounts.RevokeToken(ctx, u.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			resp := app.API(t, secret, "GET", "/api/v1/me", nil, nil)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
				t.Fatalf("revoked token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			_, expired, _ := accounts.CreateToken(ctx, u.ID, "vieux", time.Hour)
			if _, err := d.Write.ExecContext(ctx, "UPDATE api_tokens SET expires_at = $1 WHERE name = 'vieux'", db.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			resp = app.API(t, expired, "GET", "/api/v1/me", nil, nil)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(testkit.BodyOf(resp), "expiré") {
				t.Fatalf("expired token: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
			if _, _, err := accounts.CreateToken(ctx, u.ID, " ", -time.Hour); err == nil {
				t.Fatal("a token with no name and a negative validity was created")
			}
		})

		t.Run("password reset by e-mail, single use", func(t *testing.T) {
			c := app.Browser(t)
			resp := app.PostForm(t, c, "/mot-de-passe-oublie", url.Values{"email": {"pcra@demo.care.test"}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("reset request: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
			// An unknown address gets the same answer and no mail.
			if resp := app.PostForm(t, c, "/mot-de-passe-oublie", url.Values{"email": {"nobody@demo.care.test"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("unknown address: %d", resp.StatusCode)
			}
			m := app.Mail.Wait(t, 1)
			if len(app.Mail.Messages()) != 1 || m.To[0] != "pcra@demo.care.test" {
				t.Fatalf("mails: %+v", app.Mail.Messages())
			}
			link := regexp.MustCompile(`/reinitialisation/[A-Z2-7]+`).FindString(m.Data)
			if link == "" {
				t.Fatalf("no link in %q", m.Data)
			}
			if resp := app.PostForm(t, c, link, url.Values{"password": {"court"}, "confirm": {"court"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("short password: %d", resp.StatusCode)
			}
			newPassword := "une phrase de passe solide"
			if resp := app.PostForm(t, c, link, url.Values{"password": {newPassword}, "confirm": {newPassword}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("reset: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
			if resp := app.PostForm(t, c, link, url.Values{"password": {"encore une autre phrase"}, "confirm": {"encore une autre phrase"}}); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("second use of the link: %d", resp.StatusCode)
			}
			if _, err := accounts.Authenticate(ctx, "pcra@demo.care.test", newPassword, "127.0.0.20"); err != nil {
				t.Fatalf("login with the new password: %v", err)
			}
		})

		t.Run("cross-origin form posts are refused", func(t *testing.T) {
			c := app.Login(t, "direction@demo.care.test")
			req, _ := http.NewRequest("POST", app.URL+"/profil/jetons", strings.NewReader("name=x&days=1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://attacker.invalid")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if resp := app.Do(t, c, req); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site post: %d", resp.StatusCode)
			}
		})
	})
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
