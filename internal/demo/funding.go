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
// the ARS referent of the region, then carried to a declaration (carryOn); the CH's, submitted by its DSI and waiting for
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
		if c.key == "chu" {
			if err := carryOn(s, &at, cand.ID, ids[c.key], as); err != nil {
				return err
			}
		}
	}
	return nil
}

// carryOn takes the CHU's accepted candidature to the later steps, so that a
// newcomer sees them: evidence deposited by the RSSI during the operational
// phase (a file, a link, a record of the platform), the declaration signed by
// the direction once the D2 declarations opened (16 January 2026), and one
// objective verified by the ARS; the others wait for it.
func carryOn(s *funding.Service, at *time.Time, id, chu int64, as func(string) (context.Context, error)) error {
	rssi, err := as("rssi@demo.care.test")
	if err != nil {
		return err
	}
	evidence := []struct {
		on          time.Time
		in          funding.EvidenceIn
		file, bytes string
	}{
		{time.Date(2025, time.November, 6, 10, 0, 0, 0, time.UTC), funding.EvidenceIn{Objective: "P1", Kind: funding.FileEvidence, Title: "Note de la direction nommant le responsable du PCRA"},
			"note-responsable-pcra.txt", "Note de la direction : Eden Pcra est nommée responsable du plan de continuité et de reprise d'activité.\n"},
		{time.Date(2025, time.November, 6, 10, 5, 0, 0, time.UTC), funding.EvidenceIn{Objective: "P2", Kind: funding.LinkEvidence, Title: "Compte rendu du comité de direction",
			URL: "https://intranet.chu-port-emeraude.example/comex/2025-10"}, "", ""},
		{time.Date(2025, time.December, 12, 16, 0, 0, 0, time.UTC), funding.EvidenceIn{Objective: "O1.C", Kind: funding.RecordEvidence, Title: "Couverture BIA et PCRA sur la plateforme",
			URL: fmt.Sprintf("/continuite?org=%d", chu)}, "", ""},
	}
	for _, e := range evidence {
		*at = e.on
		var data []byte
		if e.bytes != "" {
			data = []byte(e.bytes)
		}
		if _, err := s.AddEvidence(rssi, id, e.in, e.file, data); err != nil {
			return fmt.Errorf("demo: evidence %s: %w", e.in.Objective, err)
		}
	}
	direction, err := as("direction@demo.care.test")
	if err != nil {
		return err
	}
	*at = time.Date(2026, time.January, 20, 11, 0, 0, 0, time.UTC)
	if _, err := s.Declare(direction, id, []string{"P1", "P2", "O1.C"}, 180000); err != nil {
		return fmt.Errorf("demo: declaration: %w", err)
	}
	ars, err := as("ars@demo.care.test")
	if err != nil {
		return err
	}
	*at = time.Date(2026, time.February, 3, 9, 30, 0, 0, time.UTC)
	if _, err := s.Verify(ars, id, "P1", funding.VerifyAccept, ""); err != nil {
		return fmt.Errorf("demo: verification: %w", err)
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
