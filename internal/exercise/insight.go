package exercise

import (
	"context"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
)

// FinishedIn is the exercises' figure for the programme's view: each live legal
// entity under roots that finished a crisis exercise in year ("with"), counting
// an exercise of a site for its legal entity.
func (s *Service) FinishedIn(ctx context.Context, roots []string, year int, fn func(path, key string, n int64)) error {
	scope, args := authz.ScopeClause("le.path", roots, 3)
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	return db.Each(ctx, s.DB.Read, fmt.Sprintf("exercise: finished in %d under %v", year, roots), func(r db.Row) error {
		var path string
		if err := r.Scan(&path); err != nil {
			return err
		}
		fn(path, "with", 1)
		return nil
	}, `SELECT DISTINCT le.path FROM exercises e JOIN orgs o ON o.id = e.org_id
		JOIN orgs le ON le.id = CASE WHEN o.level = 'site' THEN o.parent_id ELSE o.id END
		WHERE e.finished_at >= $1 AND e.finished_at < $2 AND e.status IN ('finished', 'closed')
		AND le.level = 'legal_entity' AND le.archived_at IS NULL AND `+scope, append([]any{from, from.AddDate(1, 0, 0)}, args...)...)
}
