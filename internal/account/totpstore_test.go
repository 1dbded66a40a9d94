package account_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// With the instance's secret key, TOTP seeds are sealed at rest: a new enrolment is
// stored sealed, and a seed stored before the key (the demo's) is sealed at the
// next good code; logins keep working either way.
func TestTOTPSeedsSealed(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		key := bytes.Repeat([]byte{42}, 32)
		app := testkit.NewApp(t, d, func(c *server.Config) { c.SecretKey = key })
		stored := func(email string) string {
			var v string
			if err := d.Read.QueryRow("SELECT totp_secret FROM users WHERE email = $1", email).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		if got := stored("admin@demo.care.test"); got != demo.TOTPSecret {
			t.Fatalf("the demo seed is not the legacy clear value: %q", got)
		}
		app.Login(t, "admin@demo.care.test")
		if got := stored("admin@demo.care.test"); !strings.HasPrefix(got, "enc:") || strings.Contains(got, demo.TOTPSecret) {
			t.Fatalf("after a good code the seed is stored as %q", got)
		}
		// The sealed seed still opens (the same code again, once replay protection is reset).
		d.Write.Exec("UPDATE users SET totp_last_step = 0 WHERE email = $1", "admin@demo.care.test")
		app.Login(t, "admin@demo.care.test")

		// A fresh enrolment is sealed from the start.
		u, err := app.Server.Accounts.ByEmail(t.Context(), "rssi@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		seed, err := app.Server.Accounts.BeginEnrolment(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := stored("rssi@demo.care.test"); !strings.HasPrefix(got, "enc:") || strings.Contains(got, seed) {
			t.Fatalf("pending seed stored as %q", got)
		}
		if pending, err := app.Server.Accounts.PendingSecret(t.Context(), u.ID); err != nil || pending != seed {
			t.Fatalf("pending seed %q %v", pending, err)
		}
		code, _ := account.TOTPCode(seed, account.TOTPStep(time.Now()))
		if _, err := app.Server.Accounts.ConfirmEnrolment(t.Context(), u.ID, code, ""); err != nil {
			t.Fatal(err)
		}

		// Without the key, a sealed seed does not open: it is never taken for a seed.
		reader, _ := app.Server.Accounts.ByEmail(t.Context(), "lecteur@demo.care.test")
		if _, err := app.Server.Accounts.BeginEnrolment(t.Context(), reader.ID); err != nil {
			t.Fatal(err)
		}
		plain := &account.Service{DB: d}
		if got, err := plain.PendingSecret(t.Context(), reader.ID); err == nil {
			t.Fatalf("without the key the sealed seed read as %q", got)
		}
	})
}
