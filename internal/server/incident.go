package server

import (
	"context"

	"care/internal/continuity"
	"care/internal/incident"
)

// incidentSheets gives the incidents the degraded-mode sheets continuity keeps
// under a node, so that CERT Santé supporting an establishment reads them
// through the incident (the incident package imports no other capability).
func (s *Server) incidentSheets(ctx context.Context, path string) ([]incident.Sheet, error) {
	list, err := s.Continuity.SheetsUnder(ctx, path)
	if err != nil {
		return nil, err
	}
	out := make([]incident.Sheet, len(list))
	for i, a := range list {
		out[i] = incident.Sheet{Activity: a.Activity, Site: a.Site, DMIAHours: a.DMIA, Trigger: a.Sheet.Trigger,
			FirstActions: continuity.Lines(a.Sheet.FirstActions), Roles: continuity.Lines(a.Sheet.Roles),
			Communication: a.Sheet.Communication, UpdatedAt: a.Sheet.UpdatedAt}
	}
	return out, nil
}
