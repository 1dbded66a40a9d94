package demo

import (
	"context"
	"fmt"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/exercise"
	"care/internal/platform/db"
)

// seedExercises gives the demo region its yearly crisis exercises: the CHU and
// the centre hospitalier of Saint-Aubin-des-Landes each finished one this year
// (run by their RSSI and DSI; the CHU's just now, the CH's earlier in the year),
// the Clinique des Quatre-Vents none yet — the one the yearly view lists as
// missing.
func seedExercises(ctx context.Context, d *db.DB, s *exercise.Service, accounts *account.Service, ids map[string]int64) error {
	now := time.Now().UTC()
	newYear := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range []struct {
		key, kit, by string
		finished     time.Time
	}{
		{"chu", "kit-confirme", "rssi@demo.care.test", time.Time{}},
		{"ch", "kit-debutant", "dsi@demo.care.test", newYear.Add(now.Sub(newYear) / 2)},
	} {
		u, err := accounts.ByEmail(ctx, e.by)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", e.by, err)
		}
		as := authz.WithSubject(ctx, u.Subject())
		ex, err := s.Create(as, ids[e.key], e.kit, 1)
		if err != nil {
			return fmt.Errorf("demo: exercise of %s: %w", e.key, err)
		}
		for _, step := range []string{"start", "finish"} {
			if err := s.Step(as, ex.ID, step); err != nil {
				return fmt.Errorf("demo: exercise of %s: %s: %w", e.key, step, err)
			}
		}
		if !e.finished.IsZero() {
			// Played earlier in the year: three hours, ended then.
			if _, err := d.Write.ExecContext(ctx, "UPDATE exercises SET started_at = $1, ticked_at = $1, finished_at = $2 WHERE id = $3",
				e.finished.Add(-3*time.Hour), e.finished, ex.ID); err != nil {
				return fmt.Errorf("demo: date the exercise of %s: %w", e.key, err)
			}
		}
	}
	return nil
}
