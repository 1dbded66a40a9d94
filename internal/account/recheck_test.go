package account_test

import (
	"net/url"
	"strings"
	"sync"
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
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
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
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
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

// The streams woken together recheck their tokens and sessions with a few
// statements, not one each (db.Gather), and each still gets its own answer: a
// revoked token or another stage is refused, the others hold.
func TestStillGathered(t *testing.T) {
	d, queries := testkit.CountedSQLite(t)
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	ctx := t.Context()
	ars, err := app.Server.Accounts.ByEmail(ctx, "ars@demo.care.test")
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	secrets := make([]string, n)
	for i := range secrets {
		tok, secret, err := app.Server.Accounts.CreateToken(ctx, ars.ID, "stream", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		secrets[i] = secret
		if i%3 == 0 {
			if _, err := d.Write.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", db.Now(), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	var token string
	u, _ := url.Parse(app.URL)
	for _, c := range app.Login(t, "rssi@demo.care.test").Jar.Cookies(u) {
		if c.Name == account.CookieName {
			token = c.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	errs := make([]error, 2*n)
	ran := queries.During(func() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 * n {
			wg.Go(func() {
				<-start
				switch {
				case i < n:
					errs[i] = app.Server.Accounts.TokenStill(ctx, secrets[i], false)
				case i%2 == 0:
					errs[i] = app.Server.Accounts.SessionStill(ctx, token, account.StageFull)
				default:
					errs[i] = app.Server.Accounts.SessionStill(ctx, token, "password")
				}
			})
		}
		close(start)
		wg.Wait()
	})
	for i, err := range errs {
		refused := (i < n && i%3 == 0) || (i >= n && i%2 == 1)
		if refused != problem.Is(err, problem.Unauthorized) || (!refused && err != nil) {
			t.Errorf("check %d: refused %v, got %v", i, refused, err)
		}
	}
	var tokens, sessions int
	for _, q := range ran {
		tokens += strings.Count(q, "FROM api_tokens")
		sessions += strings.Count(q, "FROM sessions")
	}
	if tokens == 0 || tokens > n/3 || sessions == 0 || sessions > n/3 {
		t.Errorf("%d token checks read with %d statements, %d session checks with %d: want a few each", n, tokens, n, sessions)
	}
}
