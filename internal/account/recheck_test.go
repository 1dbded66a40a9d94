package account_test

import (
	"net/url"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// A long request's token holds while it is active and its owner enabled: a
// revoked or expired token, a disabled owner or a second factor withdrawn from
// an owner who needed one end it.
func TestTokenStill(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app := testkit.NewApp(t, d, testkit.WithoutLoops)
		ctx := t.Context()
		ars, err := app.Server.Accounts.ByEmail(ctx, "ars@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		tok, secret, err := app.Server.Accounts.CreateToken(ctx, ars.ID, "stream", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Server.Accounts.TokenStill(ctx, secret, true); err != nil {
			t.Fatalf("a fresh token: %v", err)
		}
		if err := app.Server.Accounts.TokenStill(ctx, secret+"x", false); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("an unknown token: %v", err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := app.DB.Write.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec("UPDATE users SET totp_enabled = FALSE WHERE id = $1", ars.ID)
		// Below the policy, the API answers 403 (the owner is known, the roles' policy refuses).
		if err := app.Server.Accounts.TokenStill(ctx, secret, true); !problem.Is(err, problem.Forbidden) {
			t.Errorf("second factor withdrawn: %v", err)
		}
		exec("UPDATE users SET totp_enabled = TRUE, disabled_at = $1 WHERE id = $2", db.Now(), ars.ID)
		if err := app.Server.Accounts.TokenStill(ctx, secret, true); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("owner disabled: %v", err)
		}
		exec("UPDATE users SET disabled_at = NULL WHERE id = $1", ars.ID)
		exec("UPDATE api_tokens SET expires_at = $1 WHERE id = $2", db.Now().Add(-time.Second), tok.ID)
		if err := app.Server.Accounts.TokenStill(ctx, secret, true); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("expired: %v", err)
		}
		exec("UPDATE api_tokens SET expires_at = NULL, revoked_at = $1 WHERE id = $2", db.Now(), tok.ID)
		if err := app.Server.Accounts.TokenStill(ctx, secret, true); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("revoked: %v", err)
		}
	})
}

// A long request's session holds while it is open at the same stage and its
// owner enabled.
func TestSessionStill(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app := testkit.NewApp(t, d, testkit.WithoutLoops)
		ctx := t.Context()
		client := app.Login(t, "rssi@demo.care.test")
		u, _ := url.Parse(app.URL)
		var token string
		for _, c := range client.Jar.Cookies(u) {
			if c.Name == account.CookieName {
				token = c.Value
			}
		}
		if token == "" {
			t.Fatal("no session cookie")
		}
		if err := app.Server.Accounts.SessionStill(ctx, token, account.StageFull); err != nil {
			t.Fatalf("an open session: %v", err)
		}
		if err := app.Server.Accounts.SessionStill(ctx, token, "password"); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("another stage: %v", err)
		}
		rssi, _ := app.Server.Accounts.ByEmail(ctx, "rssi@demo.care.test")
		if _, err := app.DB.Write.ExecContext(ctx, "UPDATE users SET disabled_at = $1 WHERE id = $2", db.Now(), rssi.ID); err != nil {
			t.Fatal(err)
		}
		if err := app.Server.Accounts.SessionStill(ctx, token, account.StageFull); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("owner disabled: %v", err)
		}
	})
}
