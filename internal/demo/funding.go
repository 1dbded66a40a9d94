package demo

import (
	"context"
	"fmt"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/funding"
	"care/internal/platform/db"
)

// Demo candidatures to the Domaine 2 call, dated inside its candidature window
// (it opened on 16 July 2025): the CHU's, submitted by its RSSI and accepted by
// the ARS referent of the region; the CH's, submitted by its DSI and waiting for
// the ARS.
var candidatures = []struct {
	key, by    string
	on         time.Time
	acceptedOn time.Time // zero: still waiting
}{
	{"chu", "rssi@demo.care.test", time.Date(2025, time.September, 15, 9, 30, 0, 0, time.UTC), time.Date(2025, time.October, 2, 14, 0, 0, 0, time.UTC)},
	{"ch", "dsi@demo.care.test", time.Date(2025, time.November, 20, 11, 0, 0, 0, time.UTC), time.Time{}},
}

func seedFunding(ctx context.Context, d *db.DB, accounts *account.Service, ids map[string]int64) error {
	as := func(email string) (context.Context, error) { return actingAs(ctx, accounts, email) }
	for _, c := range candidatures {
		at := c.on
		s := &funding.Service{DB: d, Now: func() time.Time { return at }}
		by, err := as(c.by)
		if err != nil {
			return err
		}
		cand, err := s.Submit(by, funding.Submission{Org: ids[c.key], Domain: funding.ContinuityDomain, Call: "d2-2025"})
		if err != nil {
			return fmt.Errorf("demo: candidature of %s: %w", c.key, err)
		}
		if c.acceptedOn.IsZero() {
			continue
		}
		at = c.acceptedOn
		ars, err := as("ars@demo.care.test")
		if err != nil {
			return err
		}
		if _, err := s.Decide(ars, cand.ID, funding.Accept, "Dossier complet : prérequis P1 et P2 justifiés."); err != nil {
			return fmt.Errorf("demo: decision on %s: %w", c.key, err)
		}
	}
	return nil
}

// actingAs is ctx acting as the demo account email.
func actingAs(ctx context.Context, accounts *account.Service, email string) (context.Context, error) {
	u, err := accounts.ByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", email, err)
	}
	return authz.WithSubject(ctx, u.Subject()), nil
}
