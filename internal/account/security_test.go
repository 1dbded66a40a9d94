package account_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/demo"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// A token cannot carry a role that requires a second factor its owner has not
// enrolled: granting such a role ends the person's tokens, and none is issued
// until they have enrolled.
func TestTokensFollowTheSecondFactorRule(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		reader, err := app.Server.Accounts.ByEmail(t.Context(), "lecteur@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		token := app.Token(t, "lecteur@demo.care.test")
		if resp := app.API(t, token, "GET", "/api/v1/orgs", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("reader's token: %d", resp.StatusCode)
		}
		ght := app.Org(t, "GHT Littoral Émeraude")
		if err := app.Server.Accounts.Grant(testkit.As(t, app, "admin@demo.care.test"), reader.ID, "rssi_ght", ght.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/orgs", "/api/v1/audit"} {
			if resp := app.API(t, token, "GET", path, nil, nil); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("token after the grant, %s: %d", path, resp.StatusCode)
			}
		}
		var revoked int
		app.DB.Read.QueryRow("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL", reader.ID).Scan(&revoked)
		if revoked != 1 {
			t.Errorf("%d tokens revoked by the grant, want 1", revoked)
		}
		if _, _, err := app.Server.Accounts.CreateToken(t.Context(), reader.ID, "after", time.Hour); !problem.Is(err, problem.Conflict) {
			t.Errorf("token issued before enrolment: %v", err)
		}
		// Once enrolled, tokens are issued again.
		secret, err := app.Server.Accounts.BeginEnrolment(t.Context(), reader.ID)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := account.TOTPCode(secret, account.TOTPStep(time.Now()))
		if _, err := app.Server.Accounts.ConfirmEnrolment(t.Context(), reader.ID, code, ""); err != nil {
			t.Fatal(err)
		}
		if _, fresh, err := app.Server.Accounts.CreateToken(t.Context(), reader.ID, "enrolled", time.Hour); err != nil {
			t.Fatal(err)
		} else if resp := app.API(t, fresh, "GET", "/api/v1/audit", nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("token after enrolment: %d", resp.StatusCode)
		}
	})
}

// Second-factor guesses count per account, whatever the session: opening many
// half-logged-in sessions buys no extra guesses, and past the limit even the right
// code is refused.
func TestCodeGuessesCountPerAccount(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		var clients []*http.Client
		for range 10 {
			c := app.Browser(t)
			resp := app.PostForm(t, c, "/connexion", url.Values{"email": {"ars@demo.care.test"}, "password": {demo.Password}})
			if resp.Header.Get("Location") != "/connexion/code" {
				t.Fatalf("password step: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			clients = append(clients, c)
		}
		statuses := []int{}
		for i := range 8 {
			resp := app.PostForm(t, clients[i], "/connexion/code", url.Values{"code": {"000000"}})
			statuses = append(statuses, resp.StatusCode)
		}
		if statuses[len(statuses)-1] != http.StatusTooManyRequests {
			t.Errorf("wrong codes across sessions answered %v, want 429 at the end", statuses)
		}
		code, _ := account.TOTPCode(demo.TOTPSecret, account.TOTPStep(time.Now()))
		if resp := app.PostForm(t, clients[9], "/connexion/code", url.Values{"code": {code}}); resp.StatusCode == http.StatusSeeOther {
			t.Fatal("the right code opened a session past the limit")
		}
		// The password step is locked too.
		if resp := app.PostForm(t, app.Browser(t), "/connexion", url.Values{"email": {"ars@demo.care.test"}, "password": {demo.Password}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("password step after the wrong codes: %d", resp.StatusCode)
		}
	})
}
