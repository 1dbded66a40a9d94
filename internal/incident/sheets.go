package incident

import (
	"context"
	"time"
)

// Sheet is a degraded-mode sheet of the declaring establishment: what CERT
// Santé needs to support an establishment that runs without its information
// system (the continuity capability writes them).
type Sheet struct {
	Activity      string     `json:"activity"`
	Site          string     `json:"site"`
	DMIAHours     *int       `json:"dmia_hours"`
	Trigger       string     `json:"trigger"`
	FirstActions  []string   `json:"first_actions"`
	Roles         []string   `json:"roles"`
	Communication string     `json:"communication"`
	UpdatedAt     *time.Time `json:"updated_at"`
}

// Relevant reports whether the degraded-mode sheets of the establishment belong
// with incident i: submitted and open, with the degraded mode or the
// continuity plan activated. CERT Santé then reads them through the incident,
// without the establishment sharing its other pages.
func (i Incident) Relevant() bool {
	return i.Open() && (i.DegradedMode || i.PCAActivated)
}

// HandlingSheets reads the degraded-mode sheets of incident i's establishment
// when they are relevant (Relevant), the most urgent activity first. i was read
// for the caller (Incident), which answers for the access.
func (s *Service) HandlingSheets(ctx context.Context, i Incident) ([]Sheet, error) {
	if s.Sheets == nil || !i.Relevant() {
		return nil, nil
	}
	return s.Sheets(ctx, i.OrgPath)
}
