package demo

import (
	"context"
	"fmt"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/directory"
)

// seedConvergence gives the GHT Littoral Émeraude its directory convergence,
// written by its RSSI: one shared directory as the target, the mapping of the
// members' directories done, the move of the CH's accounts to come. The CHU's
// two audits (seedDirectory) draw its trajectory; the other members are not
// audited yet.
func seedConvergence(ctx context.Context, s *directory.Service, accounts *account.Service, ids map[string]int64) error {
	u, err := accounts.ByEmail(ctx, "rssi.ght@demo.care.test")
	if err != nil {
		return fmt.Errorf("demo: convergence: %w", err)
	}
	now := time.Now().UTC()
	plan := directory.Plan{Target: directory.TargetSingle,
		Note: "Un annuaire commun porté par le CHU, établissement support ; les comptes des autres membres y migrent.",
		Milestones: []directory.Milestone{
			{Title: "Cartographie des annuaires des membres et de leurs relations d'approbation", DueOn: now.AddDate(0, -3, 0).Format(time.DateOnly), Owner: "Morgane Rssi-Ght, RSSI du GHT", Done: true},
			{Title: "Migration des comptes du CH de Saint-Aubin-des-Landes vers l'annuaire commun", DueOn: now.AddDate(0, 9, 0).Format(time.DateOnly), Owner: "DSI du CH de Saint-Aubin-des-Landes"},
		}}
	if err := s.SaveConvergence(authz.WithSubject(ctx, u.Subject()), ids["g1"], plan); err != nil {
		return fmt.Errorf("demo: convergence: %w", err)
	}
	return nil
}
